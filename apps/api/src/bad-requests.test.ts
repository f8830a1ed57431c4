// Bad requests get a clear 4xx problem+json from a real API process's server (real Redis, a
// heartbeat announces the model so submits validate; jobs stay queued): each class of the
// 500s and unanswered connections found from outside, and keyset pagination under submits.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from './index.js';

const prefix = `ff-test-${randomUUID()}`;
const logLines: string[] = [];
let api: RunningApi;
let dataDir: string;
const auth = { Authorization: 'Bearer key-acme' };

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ff-bad-'));
  const sink = new Writable({ write: (chunk, _enc, done) => (logLines.push(String(chunk)), done()) });
  api = await startApi(
    { PORT: '0', HOST: '127.0.0.1', REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-acme:acme,key-pager:pager', MAX_ACTIVE_JOBS_PER_TENANT: '100', LOG_LEVEL: 'debug', WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_DELIVERY: 'false' },
    { logger: pino({ level: 'debug' }, sink) },
  );
  await api.deps.workers.beat(
    {
      id: 'w1',
      host: 'h',
      pid: 1,
      models: [{ name: 'shapes', variant: 'schnell', steps: { default: 4, min: 1, max: 50 }, resolution: { min: 32, max: 256, multiple: 16 }, default_size: { width: 64, height: 64 }, guidance: null }],
      concurrency: 1,
      busy: 0,
      current_jobs: [],
      started_at: new Date().toISOString(),
      draining: false,
    },
    60_000,
  );
});

afterAll(async () => {
  const keys = await api.deps.redis.keys(`${prefix}*`);
  if (keys.length) await api.deps.redis.del(...keys);
  await api.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function call(method: string, url: string, init: { headers?: Record<string, string>; body?: string | Uint8Array<ArrayBuffer> } = {}) {
  const res = await fetch(api.url + url, { method, headers: init.headers, body: init.body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Sends raw bytes and returns everything the server answers before it closes the socket. */
function raw(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(api.url);
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (d) => (answer += d));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('bad requests are clear 4xx problems', () => {
  it('malformed percent-encoding in a path parameter is a 400, with or without a key', async () => {
    for (const [url, headers] of [
      ['/v1/jobs/%E0%A4%A', auth],
      ['/v1/jobs/%E0%A4%A/cancel', auth],
      ['/files/%', {}],
    ] as const) {
      const res = await call(url.endsWith('cancel') ? 'POST' : 'GET', url, { headers });
      expect(res.status, url).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.code).toBe('bad_request');
    }
    expect((await call('GET', '/v1/jobs/%E0%A4%A')).status).toBe(401);
  });

  it('a body that does not decompress as its Content-Encoding says is a 400; an unknown encoding a 415', async () => {
    const plain = await call('POST', '/v1/jobs', { headers: { ...auth, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: '{"prompt":"a red circle"}' });
    expect(plain.status).toBe(400);
    expect(plain.type).toContain('application/problem+json');
    const gzipped = await call('POST', '/v1/jobs', { headers: { ...auth, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: new Uint8Array(gzipSync('{"prompt":"a large red circle in the center on a blue background"}')) });
    expect(gzipped.status).toBe(202);
    const unknown = await call('POST', '/v1/jobs', { headers: { ...auth, 'Content-Type': 'application/json', 'Content-Encoding': 'zstd-x' }, body: '{}' });
    expect(unknown.status).toBe(415);
    expect(unknown.body.code).toBe('unsupported_encoding');
  });

  it('a cursor that decodes to a huge number (or anything but a cursor) is a 400 naming the cursor', async () => {
    for (const cursor of [Buffer.from('99999999999999999999').toString('base64url'), 'not-a-cursor', '%%%']) {
      const res = await call('GET', `/v1/jobs?cursor=${encodeURIComponent(cursor)}`, { headers: auth });
      expect(res.status, cursor).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'cursor' })]);
    }
  });

  it('6,000 nested objects in metadata (under the body limit) are a 422 on metadata, not a stack overflow', async () => {
    const nested = '{"a":'.repeat(6000) + '1' + '}'.repeat(6000);
    const body = `{"prompt":"a red circle","metadata":${nested}}`;
    expect(body.length).toBeLessThan(64 * 1024);
    const res = await call('POST', '/v1/jobs', { headers: { ...auth, 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'metadata', message: expect.stringContaining('nest') })]);
  });

  it('CONNECT and methods the HTTP parser does not know get a 405 problem instead of a closed socket', async () => {
    for (const line of ['CONNECT 169.254.169.254:80 HTTP/1.1', 'FOO /v1/jobs HTTP/1.1']) {
      const answer = await raw(`${line}\r\nHost: x\r\n\r\n`);
      expect(answer, line).toMatch(/^HTTP\/1\.1 405 /);
      expect(answer).toContain('Content-Type: application/problem+json');
      expect(answer).toContain('Allow: ');
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 405, code: 'method_not_allowed' });
    }
    const badHeader = await raw('GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n');
    expect(badHeader).toMatch(/^HTTP\/1\.1 400 /);
    expect(badHeader).toContain('"code":"bad_request"');
  });

  it('an upload the client aborts is neither logged as an error nor counted as a 500', async () => {
    await new Promise<void>((resolve) => {
      const { port } = new URL(api.url);
      const socket = net.connect(Number(port), '127.0.0.1', () => {
        socket.write(`POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer key-acme\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"prompt":`);
        setTimeout(() => (socket.destroy(), resolve()), 200);
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).not.toMatch(/flowfarm_http_request_duration_seconds_count\{[^}]*status="5\d\d"/);
    expect(logLines.filter((l) => JSON.parse(l).level >= 50)).toEqual([]);
    expect(logLines.some((l) => l.includes('client aborted the request body'))).toBe(true);
  });
});

describe('webhook URLs with private networks allowed (WEBHOOK_ALLOW_PRIVATE=true)', () => {
  it('still refuses metadata and link-local addresses at submit, in every spelling, naming webhook.url', async () => {
    const headers = { ...auth, 'Content-Type': 'application/json' };
    const body = (url: string) => JSON.stringify({ prompt: 'a large red circle in the center on a blue background', webhook: { url } });
    for (const url of ['http://169.254.169.254/latest/meta-data', 'http://[::ffff:169.254.169.254]/', 'http://0xa9fea9fe/', 'http://2852039166/', 'http://[fd00:ec2::254]/', 'http://100.100.100.200/', 'http://169.254.170.2/']) {
      const res = await call('POST', '/v1/jobs', { headers, body: body(url) });
      expect(res.status, url).toBe(422);
      expect(res.body.errors).toEqual([expect.objectContaining({ path: 'webhook.url', message: expect.stringMatching(/metadata|link-local/) })]);
    }
    expect((await call('POST', '/v1/jobs', { headers, body: body('http://127.0.0.1:9/hook') })).status).toBe(202);
  });
});

describe('GET /v1/jobs pages by keyset', () => {
  it('finds no job twice and none missing when jobs are submitted between pages', async () => {
    const pager = { Authorization: 'Bearer key-pager', 'Content-Type': 'application/json' };
    const submit = async (i: number) => (await call('POST', '/v1/jobs', { headers: pager, body: JSON.stringify({ prompt: `a small red circle at the top left on a blue background`, seed: i }) })).body.id as string;
    const before: string[] = [];
    for (let i = 0; i < 7; i++) before.push(await submit(i));
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const res = await call('GET', `/v1/jobs?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { headers: pager });
      expect(res.status).toBe(200);
      seen.push(...(res.body.data as Array<{ id: string }>).map((j) => j.id));
      cursor = res.body.next_cursor as string | null;
      // Newer jobs arrive while the client pages; they belong before page 1, not in later pages.
      if (page++ < 2) await submit(100 + page);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...before].reverse());
  });
});

describe('request logs', () => {
  it('say method, path and status of each request, never its API key or query string', async () => {
    const before = logLines.length;
    const res = await fetch(`${api.url}/v1/jobs?limit=5&cursor=c2VjcmV0LWN1cnNvcg`, { headers: auth });
    expect(res.status).toBe(400);
    await expect.poll(() => logLines.slice(before).some((l) => l.includes('request'))).toBe(true);
    const lines = logLines.slice(before).map((l) => JSON.parse(l) as { req?: { method: string; path: string }; res?: { statusCode: number } });
    const line = lines.find((l) => l.req?.path === '/v1/jobs');
    expect(line).toMatchObject({ req: { method: 'GET', path: '/v1/jobs' }, res: { statusCode: 400 } });
    const written = logLines.slice(before).join('');
    expect(written).not.toContain('key-acme');
    expect(written).not.toContain('c2VjcmV0LWN1cnNvcg');
  });
});
