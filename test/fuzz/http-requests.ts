// Generators of bad (and some good) HTTP requests for the fuzz test, with fast-check: every
// route and method, odd path parameters and queries, every header the API reads in odd
// spellings, and bodies from valid jobs through mutated, deeply nested, oversized, compressed
// and undecodable ones. Requests are raw bytes so that anything a client can send is possible.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

export interface FuzzRequest {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface FuzzContext {
  /** Route templates with `{param}` placeholders, e.g. `/v1/jobs/{id}/events`. */
  routes: string[];
  /** Ids worth using as parameters: own jobs, another tenant's, none. */
  ids: string[];
  keys: { tenant: string; other: string; admin: string };
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'CONNECT', 'TRACE', 'PROPFIND', 'PURGE', 'FOO', 'get', 'M-SEARCH'];

const MALFORMED_PERCENT = ['%', '%E0%A4%A', '%zz', '%C0%AF', '%ff%fe', '..%2F..%2Fetc%2Fpasswd', '%00', '%25%'];

const anyText = (max: number) => fc.string({ unit: 'binary', maxLength: max });

/** A path segment value: real ids, malformed percent-encodings, long, unicode, empty. */
const paramValue = (ctx: FuzzContext) =>
  fc.oneof(
    fc.constantFrom(...ctx.ids),
    fc.constantFrom(...MALFORMED_PERCENT),
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.nat({ max: 4000 }).map((n) => 'a'.repeat(n)),
    anyText(20).map((s) => encodeURIComponent(s)),
    fc.constant(''),
  );

const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom(...MALFORMED_PERCENT),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map((n) => Buffer.from(String(n)).toString('base64url')),
  fc.constantFrom('queued', 'running', 'succeeded', '0', '-1', '101', '1e9', 'NaN', ''),
);

const query = fc
  .array(fc.tuple(fc.constantFrom('status', 'limit', 'cursor', 'last_event_id', 'expires', 'signature', 'tenant', 'x', '%zz', 'limit[]'), queryValue), { maxLength: 4 })
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

const target = (ctx: FuzzContext) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.tuple(fc.constantFrom(...ctx.routes), fc.array(paramValue(ctx), { minLength: 3, maxLength: 3 }), query).map(([route, values, q]) => {
      let i = 0;
      return route.replace(/\{[^}]+\}/g, () => values[i++ % values.length]) + q;
    }) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 60 }), query).map(([p, q]) => `/${encodeURI(p)}${q}`) },
    { weight: 1, arbitrary: fc.constantFrom('*', 'http://169.254.169.254/', '//v1/jobs', '/v1//jobs', '/v1/jobs/../admin/keys', '/files/', '/files/%', 'v1/jobs') },
  );

const validJob = fc.record(
  {
    prompt: fc.constantFrom('a large red circle in the center on a blue background', 'a small green triangle at the bottom right on a white background'),
    width: fc.constantFrom(64, 48, 32),
    height: fc.constantFrom(64, 48),
    steps: fc.integer({ min: 1, max: 4 }),
    seed: fc.nat(),
    num_images: fc.integer({ min: 1, max: 2 }),
    metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    webhook: fc.record({ url: fc.constantFrom('https://example.com/hook', 'http://169.254.169.254/', 'http://0xa9fea9fe/', 'ftp://x', 'not a url') }),
  },
  { requiredKeys: ['prompt'] },
);

/** A valid job with one field replaced by an arbitrary JSON value (wrong types, nulls, huge numbers). */
const mutatedJob = fc.tuple(validJob, fc.constantFrom('prompt', 'model', 'width', 'height', 'steps', 'seed', 'guidance', 'num_images', 'output_format', 'webhook', 'metadata', 'extra'), fc.jsonValue({ maxDepth: 3 })).map(
  ([job, key, value]) => ({ ...job, [key]: value }),
);

const nested = (depth: number, open: string, close: string, inner = '1') => open.repeat(depth) + inner + close.repeat(depth);

const jsonBody = fc.oneof(
  { weight: 3, arbitrary: validJob.map((j) => JSON.stringify(j)) },
  { weight: 4, arbitrary: mutatedJob.map((j) => JSON.stringify(j)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 12_000 }).map((d) => `{"prompt":"a red circle","metadata":${nested(d, '{"a":', '}')}}`) },
  { weight: 1, arbitrary: fc.integer({ min: 100, max: 30_000 }).map((d) => nested(d, '[', ']')) },
  { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 80_000 }).map((n) => JSON.stringify({ prompt: 'x'.repeat(n) })) },
  { weight: 1, arbitrary: fc.constantFrom('{', '{"prompt":', '\u0000', '{"prompt":"\\ud800"}', 'null', '[]', '""', '{"__proto__":{"x":1},"prompt":"a"}', '{"constructor":{"prototype":{}}}') },
  { weight: 1, arbitrary: anyText(200) },
);

/** Body bytes and the Content-Encoding that (mis)describes them. */
const encodedBody = fc.tuple(jsonBody, fc.constantFrom('none', 'none', 'none', 'gzip', 'gzip-invalid', 'deflate-invalid', 'br-invalid', 'x-unknown', 'identity', 'gzip, gzip')).map(
  ([text, encoding]): [Buffer, string | null] => {
    const raw = Buffer.from(text);
    if (encoding === 'none') return [raw, null];
    if (encoding === 'gzip') return [gzipSync(raw), 'gzip'];
    if (encoding === 'gzip, gzip') return [gzipSync(gzipSync(raw)), 'gzip, gzip'];
    return [raw, encoding.replace('-invalid', '')];
  },
);

const headerValue = (values: string[]) => fc.option(fc.oneof(fc.constantFrom(...values), fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''))), { nil: undefined });

export function fuzzRequest(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  return fc
    .record({
      method: fc.constantFrom(...METHODS),
      target: target(ctx),
      auth: fc.constantFrom(`Bearer ${ctx.keys.tenant}`, `Bearer ${ctx.keys.tenant}`, `Bearer ${ctx.keys.other}`, `Bearer ${ctx.keys.admin}`, 'Bearer nope', 'Basic Zm9vOmJhcg==', 'Bearer', `Bearer ${'k'.repeat(5000)}`, ''),
      contentType: headerValue(['application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/json; charset=foo', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/problem+json']),
      body: fc.option(encodedBody, { nil: undefined, freq: 3 }),
      idempotencyKey: headerValue(['', 'k'.repeat(300), 'order-1']),
      prefer: headerValue(['wait=1', 'wait=0', 'wait=-1', 'wait=99999999999999999999', 'wait=abc', 'respond-async, wait=1']),
      lastEventId: headerValue(['0', '-1', '99999999999999999999', 'abc', '1-0']),
      requestId: headerValue(['x'.repeat(200), '../../', 'ok-id']),
      accept: headerValue(['text/event-stream', 'application/json', '*/*', 'image/png']),
      extra: fc.option(fc.tuple(fc.constantFrom('X-Forwarded-For', 'X-Forwarded-Proto', 'Range', 'If-None-Match', 'Origin', 'Expect', 'Transfer-Encoding'), fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, ''))), { nil: undefined }),
    })
    .map((r) => {
      const headers: Array<[string, string]> = [['Host', 'fuzz.test']];
      if (r.auth) headers.push(['Authorization', r.auth]);
      if (r.contentType !== undefined) headers.push(['Content-Type', r.contentType]);
      if (r.idempotencyKey !== undefined) headers.push(['Idempotency-Key', r.idempotencyKey]);
      if (r.prefer !== undefined) headers.push(['Prefer', r.prefer]);
      if (r.lastEventId !== undefined) headers.push(['Last-Event-ID', r.lastEventId]);
      if (r.requestId !== undefined) headers.push(['X-Request-Id', r.requestId]);
      if (r.accept !== undefined) headers.push(['Accept', r.accept]);
      if (r.extra && !(r.extra[0] === 'Transfer-Encoding' || r.extra[0] === 'Expect')) headers.push(r.extra);
      const [body, encoding] = r.body ?? [Buffer.alloc(0), null];
      if (encoding) headers.push(['Content-Encoding', encoding]);
      if (r.body) headers.push(['Content-Length', String(body.length)]);
      return { method: r.method, target: r.target, headers, body };
    });
}

/** The request as bytes on the wire (Connection: close, so the answer ends with the socket). */
export function serialize(request: FuzzRequest): Buffer {
  const head = [`${request.method} ${request.target} HTTP/1.1`, ...request.headers.map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), request.body]);
}

/** A line describing the request for failure reports (body shortened). */
export function describeRequest(request: FuzzRequest): string {
  const body = request.body.length ? ` body(${request.body.length} B): ${JSON.stringify(request.body.subarray(0, 120).toString('latin1'))}` : '';
  return `${request.method} ${request.target.slice(0, 200)} ${JSON.stringify(request.headers.filter(([k]) => k !== 'Host').map(([k, v]) => `${k}: ${v.slice(0, 60)}`))}${body}`;
}
