import { mkdtemp, rm } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStorage, S3Storage, outputKey } from './index.js';
import { startS3TestServer, type S3TestServer } from './testing/s3-test-server.js';

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);

function query(url: string) {
  const u = new URL(url, 'http://x');
  return { key: decodeURIComponent(u.pathname.replace(/^\/files\//, '')), expires: u.searchParams.get('expires')!, signature: u.searchParams.get('signature')! };
}

describe('LocalStorage', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'ff-local-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('stores a file and signs a URL that verifies only unchanged and unexpired', async () => {
    let now = 1_000_000_000_000;
    const storage = new LocalStorage({ root, signingSecret: 's3cret', urlTtlSec: 60, now: () => now });
    const key = outputKey('acme', 'j_1', 0);
    await storage.put(key, png, 'image/png');
    expect(new Uint8Array(await readFile(storage.filePath(key)))).toEqual(png);

    const q = query(await storage.url(key));
    expect(q.key).toBe('acme/j_1/0.png');
    expect(storage.verify(q.key, q.expires, q.signature)).toBe('ok');
    expect(storage.verify('acme/j_1/1.png', q.expires, q.signature)).toBe('invalid');
    expect(storage.verify(q.key, String(Number(q.expires) + 3600), q.signature)).toBe('invalid');
    expect(storage.verify(q.key, q.expires, q.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')))).toBe('invalid');
    now += 61_000;
    expect(storage.verify(q.key, q.expires, q.signature)).toBe('expired');
  });

  it('answers the same URL for every read within a signing window, valid for at least 3/4 of its lifetime', async () => {
    let now = 1_000_000_000_000;
    const storage = new LocalStorage({ root, signingSecret: 's3cret', urlTtlSec: 60, now: () => now });
    const key = outputKey('acme', 'j_2', 0);
    const first = await storage.url(key);
    now += 1000;
    expect(await storage.url(key)).toBe(first);
    expect(Number(query(first).expires) * 1000 - now).toBeGreaterThanOrEqual(44_000);
    now += 15_000;
    expect(await storage.url(key)).not.toBe(first);
  });

  it('refuses keys that would leave its folder', async () => {
    const storage = new LocalStorage({ root, signingSecret: 'x' });
    await expect(storage.put('../evil.png', png, 'image/png')).rejects.toThrow(/invalid storage key/);
    expect(() => storage.filePath('a/../../b')).toThrow(/invalid storage key/);
  });

  it('removes a job folder', async () => {
    const storage = new LocalStorage({ root, signingSecret: 'x' });
    await storage.put(outputKey('t', 'j_2', 0), png, 'image/png');
    await storage.put(outputKey('t', 'j_2', 1), png, 'image/png');
    expect(await storage.removePrefix('t/j_2/')).toBe(2);
    await expect(readFile(storage.filePath('t/j_2/0.png'))).rejects.toThrow();
  });
});

describe('S3Storage against s3rver', () => {
  let server: S3TestServer;
  let storage: S3Storage;
  beforeAll(async () => {
    server = await startS3TestServer();
    storage = new S3Storage({ ...server.storageOptions, keyPrefix: 'results/' });
  });
  afterAll(async () => {
    storage.destroy();
    await server.close();
  });

  it('uploads, serves a presigned GET with the same bytes, and removes by prefix', async () => {
    await storage.check();
    const key = outputKey('acme', 'j_3', 0);
    await storage.put(key, png, 'image/png');
    const url = await storage.url(key);
    expect(url).toContain('X-Amz-Signature=');
    // stable within its signing window, so caches hit
    expect(await storage.url(key)).toBe(url);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
    // a presigned link handed back (a job's starting image) names its key; other URLs do not
    expect(storage.keyOfUrl(url)).toBe(key);
    expect(storage.keyOfUrl(url.replace(/[?&]X-Amz-Signature=[^&]*/, ''))).toBeNull();
    expect(storage.keyOfUrl('https://example.com/acme/j_3/0.png?X-Amz-Signature=abc')).toBeNull();
    expect(await storage.removePrefix('acme/j_3/')).toBe(1);
    expect((await fetch(url)).status).toBe(404);
  });

  it('signs download URLs for S3_PUBLIC_ENDPOINT when clients reach the server at another address', async () => {
    // Uploads go to 127.0.0.1 (as a worker reaches http://minio:9000 inside Docker); users get
    // links on localhost (http://localhost:9000 from the host). Both name the same s3rver.
    const publicEndpoint = server.endpoint.replace('127.0.0.1', 'localhost');
    const split = new S3Storage({ ...server.storageOptions, publicEndpoint });
    const key = outputKey('acme', 'j_4', 0);
    await split.put(key, png, 'image/png');
    const url = await split.url(key);
    expect(url.startsWith(`${publicEndpoint}/`)).toBe(true);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png);
    split.destroy();
  });

  it('fails the upload when the bucket does not exist', async () => {
    const missing = new S3Storage({ ...server.storageOptions, bucket: 'no-such-bucket' });
    await expect(missing.put('a/b/0.png', png, 'image/png')).rejects.toThrow();
    await expect(missing.check()).rejects.toThrow();
    missing.destroy();
  });
});
