// The fetch the CLI gives the SDK: plain node:http for http:// URLs (a farm on the local
// network), the global fetch for everything else (https, signed S3 links). Node's fetch
// (undici) is compiled on first use, which cost `flowfarm jobs list` more than the rest of its
// start-up together (bench/process-start.ts); node:http is loaded already. It answers with the
// part of Response the SDK uses: status, ok, headers.get, text, json, arrayBuffer and body (a
// web stream, made only when asked, for event streams), follows redirects as fetch does
// (Authorization dropped on a redirect to another origin) and fails as fetch does
// (TypeError "fetch failed" with the network error as its cause).
import http from 'node:http';
import { Readable } from 'node:stream';
import type { FetchLike } from '@flowfarm/client';

const MAX_REDIRECTS = 20;

class HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null; has(name: string): boolean };
  readonly redirected: boolean;
  private stream?: ReadableStream<Uint8Array>;

  constructor(private readonly res: http.IncomingMessage, readonly url: string, redirected: boolean) {
    this.status = res.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    this.statusText = res.statusMessage ?? '';
    this.redirected = redirected;
    this.headers = {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
      has: (name) => res.headers[name.toLowerCase()] !== undefined,
    };
  }

  get body(): ReadableStream<Uint8Array> {
    this.stream ??= Readable.toWeb(this.res) as ReadableStream<Uint8Array>;
    return this.stream;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.res) chunks.push(chunk as Buffer);
    const all = Buffer.concat(chunks);
    return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return new TextDecoder().decode(await this.arrayBuffer());
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

function request(url: URL, init: RequestInit, redirects: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers = { ...(init.headers as Record<string, string> | undefined) };
    const req = http.request(url, { method: init.method ?? 'GET', headers, ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if ([301, 302, 303, 307, 308].includes(status) && location && (init.redirect ?? 'follow') === 'follow') {
        res.resume();
        if (redirects >= MAX_REDIRECTS) return reject(new TypeError('fetch failed', { cause: new Error('redirect count exceeded') }));
        const next = new URL(location, url);
        const method = init.method ?? 'GET';
        // as fetch: 303 (and 301/302 after a POST) continue as a GET without the body
        const asGet = status === 303 || ((status === 301 || status === 302) && method === 'POST');
        const nextHeaders = { ...headers };
        if (next.origin !== url.origin) delete nextHeaders.authorization;
        if (asGet) delete nextHeaders['content-type'];
        const nextInit: RequestInit = { ...init, headers: nextHeaders, ...(asGet ? { method: 'GET', body: undefined } : {}) };
        resolve(next.protocol === 'http:' ? request(next, nextInit, redirects + 1) : globalThis.fetch(next, nextInit));
        return;
      }
      resolve(new HttpResponse(res, url.href, redirects > 0) as unknown as Response);
    });
    req.on('error', (error) => reject(init.signal?.aborted ? error : new TypeError('fetch failed', { cause: error })));
    const body = init.body as string | Uint8Array | undefined | null;
    if (body === undefined || body === null) req.end();
    else req.end(body);
  });
}

/** fetch for the SDK: node:http for http:// URLs, the global fetch for the rest. */
export const httpFetch: FetchLike = (input, init = {}) => {
  const url = new URL(input);
  return url.protocol === 'http:' ? request(url, init, 0) : globalThis.fetch(input, init);
};
