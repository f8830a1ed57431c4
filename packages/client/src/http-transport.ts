// Sends one API request: auth header, JSON body, retries on 429/503 honouring Retry-After,
// and every failure turned into a FlowfarmError. Shared by the tenant and the admin client.

import { ABORTED_CODE, FlowfarmError, UNREACHABLE_CODE, errorFromResponse } from './errors.js';
import { isRetryableStatus, parseRetryAfter, retryDelayMs, sleep, type RetryOptions } from './retry-policy.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** Farm URL, e.g. `http://localhost:8080` (a path prefix is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** A fetch implementation; defaults to the global one. */
  fetch?: FetchLike;
  /** Retry behaviour for 429/503 answers. */
  retry?: RetryOptions;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Bytes sent as they are (set content-type in headers); for file uploads such as /v1/verify. */
  rawBody?: Uint8Array;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class HttpTransport {
  readonly baseUrl: string;
  private readonly apiKey: string;
  private readonly fetchImpl: FetchLike;
  private readonly retry: RetryOptions;

  constructor(options: TransportOptions) {
    if (!options.baseUrl) throw new TypeError('baseUrl is required');
    if (!options.apiKey) throw new TypeError('apiKey is required');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    // Browsers throw "Illegal invocation" when fetch is called with another `this`.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retry = options.retry ?? {};
  }

  /** Absolute URL for an API path or a URL the farm returned (which may be relative). */
  url(pathOrUrl: string): string {
    if (/^https?:\/\//i.test(pathOrUrl)) return pathOrUrl;
    return `${this.baseUrl}${pathOrUrl.startsWith('/') ? '' : '/'}${pathOrUrl}`;
  }

  private isFarmUrl(url: string): boolean {
    try {
      return new URL(url).origin === new URL(this.baseUrl).origin;
    } catch {
      return false;
    }
  }

  /** Sends a request and parses the JSON answer; throws FlowfarmError on anything but 2xx. */
  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(path, options);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Sends a request and returns the 2xx Response unread (for streams and downloads).
   * 429/503 are retried; network errors are retried only for GET, which is safe to repeat.
   */
  async send(path: string, options: RequestOptions = {}): Promise<Response> {
    const method = options.method ?? 'GET';
    const url = this.url(path);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    // Result URLs may point at S3 or a CDN: the key goes only to the farm itself.
    if (this.isFarmUrl(url)) headers.authorization = `Bearer ${this.apiKey}`;
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    } else if (options.rawBody !== undefined) {
      body = options.rawBody as Uint8Array<ArrayBuffer>;
    }
    const maxRetries = this.retry.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetchImpl(url, { method, headers, body, signal: options.signal });
      } catch (cause) {
        if (options.signal?.aborted) throw new FlowfarmError(0, ABORTED_CODE, 'request aborted', { cause });
        const error = new FlowfarmError(0, UNREACHABLE_CODE, `cannot reach the farm at ${this.baseUrl}: ${describe(cause)}`, { cause });
        if (method !== 'GET' || attempt >= maxRetries) throw error;
        await pause(retryDelayMs(attempt, undefined, this.retry), options.signal);
        continue;
      }
      if (response.ok) return response;
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      const error = errorFromResponse(response.status, await response.text().catch(() => ''), retryAfter);
      // a quota resets in hours, not seconds: retrying now would only wait out the caller
      if (!isRetryableStatus(response.status) || error.code === 'quota_exceeded' || attempt >= maxRetries) throw error;
      await pause(retryDelayMs(attempt, retryAfter, this.retry), options.signal);
    }
  }
}

/** Waits before a retry; an abort meanwhile surfaces as FlowfarmError like every other failure. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, signal);
  } catch (cause) {
    throw new FlowfarmError(0, ABORTED_CODE, 'request aborted', { cause });
  }
}

/** fetch's TypeError hides the reason ("fetch failed") in `cause`; surface it. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}
