// Image-to-image inputs at submit, against the real Redis and local storage, without a worker: a
// heartbeat announces one model with a VAE encoder and one without; jobs stay queued.
import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltApi } from './index.js';
import { SCHNELL_LIMITS, startQueuedApi, type QueuedApi } from '../../../test/support/queued-api.js';

let queued: QueuedApi;
let api: BuiltApi;
let dataDir: string;
const auth = 'Bearer key-i2i';

const limits = { ...SCHNELL_LIMITS, provider: 'cpu', latents: 'host' as const };

const solid = (format: 'png' | 'jpeg' | 'webp', width = 64, height = 64) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } }).toFormat(format).toBuffer();
const dataUrl = (bytes: Buffer, type = 'image/png') => `data:${type};base64,${bytes.toString('base64')}`;

beforeAll(async () => {
  queued = await startQueuedApi({ API_KEYS: 'key-i2i:i2i', ADMIN_API_KEY: 'admin-secret', MAX_ACTIVE_JOBS_PER_TENANT: '50' }, [{ name: 'shapes', image_input: true, ...limits }, { name: 'no-encoder', image_input: false, ...limits }]);
  api = queued.api;
  dataDir = queued.dataDir;
});

afterAll(() => queued?.close());

const submit = (body: object) => request(api.app).post('/v1/jobs').set('Authorization', auth).send(body);

describe('POST /v1/jobs with image', () => {
  it.each<[string, () => Promise<object>, string]>([
    ['strength without image', async () => ({ prompt: 'x', model: 'shapes', strength: 0.5 }), 'strength'],
    ['strength 0', async () => ({ prompt: 'x', model: 'shapes', image: dataUrl(await solid('png')), strength: 0 }), 'strength'],
    ['strength above 1', async () => ({ prompt: 'x', model: 'shapes', image: dataUrl(await solid('png')), strength: 1.5 }), 'strength'],
    ['an http URL', async () => ({ prompt: 'x', model: 'shapes', image: 'https://example.com/a.png' }), 'image'],
    ['a gif data URL', async () => ({ prompt: 'x', model: 'shapes', image: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=' }), 'image'],
    ['broken base64', async () => ({ prompt: 'x', model: 'shapes', image: 'data:image/png;base64,@@@@' }), 'image'],
    ['bytes that are no image', async () => ({ prompt: 'x', model: 'shapes', image: dataUrl(Buffer.from('hello world, not a png!!')) }), 'image'],
    ['a truncated png', async () => ({ prompt: 'x', model: 'shapes', image: dataUrl((await solid('png', 128, 128)).subarray(0, 60)) }), 'image'],
    ['too many pixels', async () => ({ prompt: 'x', model: 'shapes', image: dataUrl(await sharp({ create: { width: 5000, height: 4000, channels: 3, background: '#000' } }).png().toBuffer()) }), 'image'],
    ['a model without VAE encoder', async () => ({ prompt: 'x', model: 'no-encoder', image: dataUrl(await solid('png')) }), 'image'],
  ])('%s → 422 naming the field', async (_name, body, field) => {
    const res = await submit(await body());
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it('refuses a body over JOB_BODY_LIMIT with 413, and takes data URLs far over the general 64 KB limit', async () => {
    const big = await sharp(randomBytes(400 * 400 * 3), { raw: { width: 400, height: 400, channels: 3 } }).png().toBuffer();
    expect(big.length).toBeGreaterThan(100_000);
    const ok = await submit({ prompt: 'x', model: 'shapes', image: dataUrl(big) });
    expect(ok.status).toBe(202);
    const tooBig = await submit({ prompt: 'x', model: 'shapes', image: `data:image/png;base64,${'A'.repeat(10 * 1024 * 1024)}` });
    expect(tooBig.status).toBe(413);
  });

  it.each(['png', 'jpeg', 'webp'] as const)('stores a %s once, keeps its hash (not the data URL) in the job, defaults strength to 0.6', async (format) => {
    const bytes = await solid(format, 96, 80);
    const res = await submit({ prompt: 'a red circle on a green background', model: 'shapes', image: dataUrl(bytes, `image/${format}`) });
    expect(res.status).toBe(202);
    expect(res.body.input.strength).toBe(0.6);
    expect(res.body.input.image).toBeUndefined();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(res.body.input_image).toEqual({ sha256, content_type: `image/${format}`, width: 96, height: 80 });
    const ext = format === 'jpeg' ? 'jpg' : format;
    const stored = await readFile(path.join(dataDir, 'files', 'i2i', res.body.id, `input.${ext}`));
    expect(createHash('sha256').update(stored).digest('hex')).toBe(sha256);
    const again = await request(api.app).get(`/v1/jobs/${res.body.id}`).set('Authorization', auth);
    expect(again.body.input_image.sha256).toBe(sha256);
    const job = await api.deps.redis.hgetall(api.deps.keys.job(res.body.id));
    expect(job.input).toBeDefined();
    expect(JSON.stringify(job).length).toBeLessThan(4000);
  });

  it("starts from one of the tenant's own result URLs; another tenant's file, a tampered or an expired link is refused", async () => {
    const storage = api.deps.storage;
    const bytes = await solid('png', 64, 64);
    await storage.put('i2i/job_earlier/0.png', bytes, 'image/png');
    await storage.put('other/job_theirs/0.png', bytes, 'image/png');
    const own = await storage.url('i2i/job_earlier/0.png');

    const res = await submit({ prompt: 'a red circle on a green background', model: 'shapes', image: own, strength: 0.5 });
    expect(res.status).toBe(202);
    expect(res.body.input_image.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    // the same link as an absolute URL (as PUBLIC_URL gives it) works too
    expect((await submit({ prompt: 'x', model: 'shapes', image: `https://farm.example.com${own}` })).status).toBe(202);

    const refused = {
      theirs: await storage.url('other/job_theirs/0.png'),
      // the signature is base64url: its first character may be '-' (not \w), so match that too
      tampered: own.replace(/signature=[\w-]/, (m) => (m.endsWith('a') ? 'signature=b' : 'signature=a')),
      expired: await storage.url('i2i/job_earlier/0.png', { expiresInSec: -60 }),
      missing: await storage.url('i2i/job_gone/0.png'),
    };
    for (const [name, url] of Object.entries(refused)) {
      const answer = await submit({ prompt: 'x', model: 'shapes', image: url });
      expect(answer.status, name).toBe(422);
      expect(answer.body.errors.map((e: { path: string }) => e.path), name).toEqual(['image']);
    }
  });

  it('keeps one stored image per job: an Idempotency-Key replay or a conflict stores none', async () => {
    const body = { prompt: 'x', model: 'shapes', image: dataUrl(await solid('png', 80, 64)) };
    const send = (b: object) => request(api.app).post('/v1/jobs').set('Authorization', auth).set('Idempotency-Key', 'i2i-replay').send(b);
    const folders = async () => {
      const withFiles: string[] = [];
      for (const folder of await readdir(path.join(dataDir, 'files', 'i2i'))) {
        if ((await readdir(path.join(dataDir, 'files', 'i2i', folder)).catch(() => [])).length) withFiles.push(folder);
      }
      return withFiles;
    };
    const before = new Set(await folders());
    const first = await send(body);
    expect(first.status).toBe(202);
    expect((await send(body)).status).toBe(202);
    expect((await send({ ...body, prompt: 'y' })).status).toBe(409);
    expect((await folders()).filter((folder) => !before.has(folder))).toEqual([first.body.id]);
  });

  it('keeps a given strength', async () => {
    const res = await submit({ prompt: 'x', model: 'shapes', image: dataUrl(await solid('png')), strength: 0.35 });
    expect(res.status).toBe(202);
    expect(res.body.input.strength).toBe(0.35);
  });
});
