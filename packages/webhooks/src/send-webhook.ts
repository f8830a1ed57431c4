// One HTTP attempt of a delivery: POST the signed body to the checked address, never follow a
// redirect, give up after the timeout. Node's http(s).request is used (not fetch) because it
// takes a `lookup` per request, which pins the connection to the address the SSRF guard
// checked; TLS still verifies the certificate against the URL's host name.
import http from 'node:http';
import https from 'node:https';
import { pinnedLookup, type CheckedTarget } from './ssrf-guard.js';
import { parseRetryAfter } from './retry-schedule.js';

/** Bytes of a failing response kept for the delivery log. */
const ERROR_BODY_BYTES = 512;

export interface AttemptResult {
  statusCode: number | null;
  durationMs: number;
  /** Null when delivered (2xx). */
  error: string | null;
  /** From a Retry-After header on 429/503. */
  retryAfterMs: number | null;
}

export async function postWebhook(
  target: CheckedTarget,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const request = target.url.protocol === 'https:' ? https.request : http.request;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<AttemptResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const req = request(
      target.url,
      {
        method: 'POST',
        agent: false,
        lookup: pinnedLookup(target),
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'flowfarm-webhooks/1',
        },
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < ERROR_BODY_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        res.on('error', (err) => finish({ statusCode: status, error: `response failed: ${err.message}`, retryAfterMs: null }));
        res.on('end', () => {
          if (status >= 200 && status < 300) return finish({ statusCode: status, error: null, retryAfterMs: null });
          const retryAfter = status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after']) : null;
          finish({ statusCode: status, error: describeFailure(status, res.headers.location, Buffer.concat(chunks)), retryAfterMs: retryAfter });
        });
      },
    );
    const timer = setTimeout(() => {
      finish({ statusCode: null, error: `timed out after ${timeoutMs} ms`, retryAfterMs: null });
      req.destroy();
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ statusCode: null, error: `connection failed: ${err.code ?? err.message}`, retryAfterMs: null }),
    );
    req.end(body);
  });
}

function describeFailure(status: number, location: string | undefined, body: Buffer): string {
  if (status >= 300 && status < 400) return `HTTP ${status}: redirect${location ? ` to ${location}` : ''} not followed`;
  const text = body.toString('utf8', 0, Math.min(body.length, ERROR_BODY_BYTES)).trim();
  return text ? `HTTP ${status}: ${text}` : `HTTP ${status}`;
}
