// The API against the real Redis, without a worker: a heartbeat announces the model the way a
// worker does, so submits validate; jobs stay queued.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { buildApi, loadConfig, type BuiltApi } from './index.js';

const prefix = `ff-test-${randomUUID()}`;
let api: BuiltApi;
let dataDir: string;
const acme = 'Bearer key-acme';
const globex = 'Bearer key-globex';
const admin = 'Bearer admin-secret';
// jobs of the creative-control tests, on their own tenant so they never meet the active-job cap of acme's
const creative = 'Bearer key-creative';

const model = {
  name: 'shapes',
  variant: 'schnell',
  steps: { default: 4, min: 1, max: 50 },
  resolution: { min: 32, max: 256, multiple: 16 },
  default_size: { width: 64, height: 64 },
  guidance: null,
};
// where this worker runs the model: per worker in /v1/admin/workers, gathered in /v1/models
const placement = { provider: 'cuda:0', latents: 'device' as const };

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ff-api-'));
  const config = loadConfig({
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    API_KEYS: 'key-acme:acme,key-globex:globex,key-capped:capped,key-creative:creative',
    ADMIN_API_KEY: 'admin-secret',
    MAX_ACTIVE_JOBS_PER_TENANT: '6',
    RATE_LIMIT_PER_MINUTE: '1000',
    LOG_LEVEL: 'silent',
  });
  api = buildApi(config, { logger: pino({ level: 'silent' }) });
  await api.deps.workers.beat(
    { id: 'w1', host: 'h', pid: 1, models: [{ ...model, ...placement }], concurrency: 1, busy: 0, current_jobs: [], started_at: new Date().toISOString(), draining: false },
    60_000,
  );
});

afterAll(async () => {
  const keys = await api.deps.redis.keys(`${prefix}*`);
  if (keys.length) await api.deps.redis.del(...keys);
  await api.close();
  await rm(dataDir, { recursive: true, force: true });
});

const submit = (body: unknown, auth = acme, headers: Record<string, string> = {}) =>
  request(api.app).post('/v1/jobs').set('Authorization', auth).set(headers).send(body as object);

describe('auth', () => {
  it('refuses /v1 without a valid key but serves health and the OpenAPI document', async () => {
    const none = await request(api.app).get('/v1/jobs');
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect((await request(api.app).get('/v1/jobs').set('Authorization', 'Bearer nope')).status).toBe(401);
    expect((await request(api.app).get('/healthz')).status).toBe(200);
    expect((await request(api.app).get('/readyz')).body).toMatchObject({ status: 'ok', checks: { redis: 'ok', storage: 'ok' } });
    const doc = await request(api.app).get('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths).toHaveProperty('/v1/jobs');
  });

  it('creates, uses, lists and revokes keys through the admin routes', async () => {
    expect((await request(api.app).post('/v1/admin/keys').set('Authorization', acme).send({ tenant: 'x' })).status).toBe(403);
    const created = await request(api.app).post('/v1/admin/keys').set('Authorization', admin).send({ tenant: 'initech', name: 'ci' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await request(api.app).get('/v1/jobs').set('Authorization', `Bearer ${key}`)).status).toBe(200);
    const listed = await request(api.app).get('/v1/admin/keys').set('Authorization', admin);
    expect(listed.body.data).toContainEqual(expect.objectContaining({ id: created.body.id, tenant: 'initech', name: 'ci' }));
    expect(JSON.stringify(listed.body)).not.toContain(key);
    expect((await request(api.app).delete(`/v1/admin/keys/${created.body.id}`).set('Authorization', admin)).status).toBe(204);
    expect((await request(api.app).get('/v1/jobs').set('Authorization', `Bearer ${key}`)).status).toBe(401);
  });
});

describe('POST /v1/jobs validation', () => {
  it.each([
    [{}, 'prompt'],
    [{ prompt: '' }, 'prompt'],
    [{ prompt: 'p'.repeat(2001) }, 'prompt'],
    [{ prompt: 'x', width: 72 }, 'width'],
    [{ prompt: 'x', width: 512 }, 'width'],
    [{ prompt: 'x', height: 16 }, 'height'],
    [{ prompt: 'x', steps: 51 }, 'steps'],
    [{ prompt: 'x', steps: 1.5 }, 'steps'],
    [{ prompt: 'x', guidance: -1 }, 'guidance'],
    [{ prompt: 'x', seed: 2 ** 32 }, 'seed'],
    [{ prompt: 'x', num_images: 0 }, 'num_images'],
    [{ prompt: 'x', output_format: 'gif' }, 'output_format'],
    [{ prompt: 'x', output_format: 'jpeg', output_quality: 0 }, 'output_quality'],
    [{ prompt: 'x', output_format: 'webp', output_quality: 101 }, 'output_quality'],
    [{ prompt: 'x', output_format: 'jpeg', output_quality: 80.5 }, 'output_quality'],
    [{ prompt: 'x', output_quality: 80 }, 'output_quality'],
    [{ prompt: 'x', aspect_ratio: '5:4' }, 'aspect_ratio'],
    [{ prompt: 'x', aspect_ratio: '16:9', width: 64 }, 'aspect_ratio'],
    [{ prompt: 'x', ultra: true, height: 64 }, 'ultra'],
    [{ prompt: 'x', ultra: 'yes' }, 'ultra'],
    [{ prompt: 'x', palette: [] }, 'palette'],
    [{ prompt: 'x', palette: ['#ff0000', 'red'] }, 'palette.1'],
    [{ prompt: 'x', palette: Array.from({ length: 9 }, () => '#000000') }, 'palette'],
    [{ prompt: 'x', webhook: { url: 'not a url' } }, 'webhook.url'],
    [{ prompt: 'x', webhook: { url: 'https://example.com/h', events: ['job.done'] } }, 'webhook.events.0'],
    [{ prompt: 'x', metadata: { blob: 'b'.repeat(3000) } }, 'metadata'],
    [{ prompt: 'x', sampler: 'euler' }, 'sampler'],
  ])('invalid body #%# → 422 naming the field', async (body, field) => {
    const res = await submit(body);
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('fills in the quality of lossy formats and records it in the job', async () => {
    const res = await submit({ prompt: 'a red circle', output_format: 'webp' }, creative);
    expect(res.status).toBe(202);
    expect(res.body.input).toMatchObject({ output_format: 'webp', output_quality: 90 });
    const chosen = await submit({ prompt: 'a red circle', output_format: 'jpeg', output_quality: 55 }, creative);
    expect(chosen.body.input).toMatchObject({ output_format: 'jpeg', output_quality: 55 });
  });

  it('turns aspect_ratio and ultra into a size near the base pixel count, and records both', async () => {
    const wide = await submit({ prompt: 'a red circle', aspect_ratio: '16:9' }, creative);
    expect(wide.body.input).toMatchObject({ aspect_ratio: '16:9', width: 80, height: 48 });
    const ultra = await submit({ prompt: 'a red circle', ultra: true }, creative);
    expect(ultra.body.input).toMatchObject({ ultra: true, aspect_ratio: '1:1', width: 128, height: 128 });
    const both = await submit({ prompt: 'a red circle', ultra: true, aspect_ratio: '9:21' }, creative);
    expect(both.body.input).toMatchObject({ width: 80, height: 192 });
  });

  it('names the served models for an unknown model', async () => {
    const res = await submit({ prompt: 'x', model: 'flux-pro' });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'unknown_model', served_models: ['shapes'] });
  });

  it('answers 400 to malformed JSON and 413 to bodies over 64 KB (job bodies: over JOB_BODY_LIMIT)', async () => {
    const bad = await request(api.app).post('/v1/jobs').set('Authorization', acme).set('Content-Type', 'application/json').send('{"prompt": ');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('malformed_json');
    const big = await request(api.app).put('/v1/styles/huge').set('Authorization', acme).send({ prompt: '{prompt} ' + 'y'.repeat(70_000) });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
    // job bodies may carry an image data URL: 70 KB reaches validation (metadata is still capped)
    const job = await submit({ prompt: 'x', metadata: { a: 'y'.repeat(70_000) } });
    expect(job.status).toBe(422);
    expect(job.body.errors.map((e: { path: string }) => e.path)).toContain('metadata');
  });
});

describe('jobs', () => {
  it('queues a job with the model defaults filled in', async () => {
    const res = await submit({ prompt: 'a red circle', metadata: { order: 42 } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'queued',
      model: 'shapes',
      input: { prompt: 'a red circle', width: 64, height: 64, steps: 4, num_images: 1, output_format: 'png' },
      metadata: { order: 42 },
      outputs: [],
      queue_position: expect.any(Number),
    });
    expect(res.body.input.seed).toEqual(expect.any(Number));
    expect(res.body.urls.self).toMatch(new RegExp(`/v1/jobs/${res.body.id}$`));
    const got = await request(api.app).get(`/v1/jobs/${res.body.id}`).set('Authorization', acme);
    expect(got.body).toMatchObject({ id: res.body.id, status: 'queued' });
  });

  it('returns the same job for a repeated Idempotency-Key and 409 for another body', async () => {
    const key = randomUUID();
    const first = await submit({ prompt: 'idem', seed: 1 }, acme, { 'Idempotency-Key': key });
    const again = await submit({ seed: 1, prompt: 'idem' }, acme, { 'Idempotency-Key': key });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await submit({ prompt: 'idem', seed: 2 }, acme, { 'Idempotency-Key': key });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('idempotency_key_reused');
    // Keys are per tenant: another tenant's same key is a new job.
    const globexJob = await submit({ prompt: 'idem', seed: 1 }, globex, { 'Idempotency-Key': key });
    expect(globexJob.body.id).not.toBe(first.body.id);
  });

  it("hides other tenants' jobs (404) and lists only the caller's, newest first", async () => {
    const mine = await submit({ prompt: 'mine' });
    const theirs = await submit({ prompt: 'theirs' }, globex);
    expect((await request(api.app).get(`/v1/jobs/${theirs.body.id}`).set('Authorization', acme)).status).toBe(404);
    expect((await request(api.app).post(`/v1/jobs/${theirs.body.id}/cancel`).set('Authorization', acme)).status).toBe(404);
    expect((await request(api.app).get(`/v1/jobs/${theirs.body.id}/events`).set('Authorization', acme)).status).toBe(404);
    const list = await request(api.app).get('/v1/jobs?limit=2').set('Authorization', acme);
    expect(list.body.data[0].id).toBe(mine.body.id);
    expect(list.body.data.map((j: { id: string }) => j.id)).not.toContain(theirs.body.id);
    expect(list.body.next_cursor).toEqual(expect.any(String));
    const next = await request(api.app).get(`/v1/jobs?limit=2&cursor=${list.body.next_cursor}`).set('Authorization', acme);
    expect(next.body.data.length).toBeGreaterThan(0);
    expect(next.body.data[0].id).not.toBe(mine.body.id);
  });

  it('cancels a queued job at once and answers 409 to a second cancel', async () => {
    const job = await submit({ prompt: 'to cancel' });
    const canceled = await request(api.app).post(`/v1/jobs/${job.body.id}/cancel`).set('Authorization', acme);
    expect(canceled.status).toBe(202);
    expect(canceled.body.status).toBe('canceled');
    const again = await request(api.app).post(`/v1/jobs/${job.body.id}/cancel`).set('Authorization', acme);
    expect(again.status).toBe(409);
    const list = await request(api.app).get('/v1/jobs?status=canceled').set('Authorization', acme);
    expect(list.body.data.map((j: { id: string }) => j.id)).toContain(job.body.id);
  });

  it('caps active jobs per tenant with 429 and Retry-After', async () => {
    const capped = 'Bearer key-capped';
    for (let i = 0; i < 6; i++) expect((await submit({ prompt: `cap ${i}` }, capped)).status).toBe(202);
    const over = await submit({ prompt: 'one too many' }, capped);
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('too_many_active_jobs');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('lists the models live workers serve, with the execution providers they run on', async () => {
    const res = await request(api.app).get('/v1/models').set('Authorization', acme);
    expect(res.body.data).toEqual([{ ...model, workers: 1, providers: ['cuda:0'] }]);
    const workers = await request(api.app).get('/v1/admin/workers').set('Authorization', admin);
    expect(workers.body.data[0].models).toEqual([{ ...model, ...placement }]);
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a key goes over its per-minute limit, counted in Redis across replicas', async () => {
    const env = { REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-rl:rl,key-rl2:rl', RATE_LIMIT_PER_MINUTE: '3', LOG_LEVEL: 'silent' as const };
    const replicaA = buildApi(loadConfig(env), { logger: pino({ level: 'silent' }) });
    const replicaB = buildApi(loadConfig(env), { logger: pino({ level: 'silent' }) });
    try {
      const get = (app: typeof replicaA.app) => request(app).get('/v1/jobs').set('Authorization', 'Bearer key-rl');
      expect((await get(replicaA.app)).status).toBe(200);
      expect((await get(replicaB.app)).status).toBe(200);
      expect((await get(replicaA.app)).status).toBe(200);
      const limited = await get(replicaB.app);
      expect(limited.status).toBe(429);
      expect(limited.body.code).toBe('rate_limited');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // The limit is per key: another key is not affected.
      expect((await request(replicaA.app).get('/v1/jobs').set('Authorization', 'Bearer key-rl2')).status).toBe(200);
      // A key over its limit is refused from memory by the replica that saw it go over, without
      // asking Redis: with Redis's counters gone, that replica still refuses, the other counts anew.
      const counters = await replicaA.deps.redis.keys(`${replicaA.deps.keys.rateLimit}*`);
      expect(counters.length).toBeGreaterThan(0);
      await replicaA.deps.redis.del(...counters);
      expect((await get(replicaB.app)).status).toBe(429);
      expect((await get(replicaA.app)).status).toBe(200);
    } finally {
      await replicaA.close();
      await replicaB.close();
    }
  });

  it('lets requests with room left go on before their count is back, yet counts every one and never passes the limit', async () => {
    const env = { REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-room:room', RATE_LIMIT_PER_MINUTE: '20', LOG_LEVEL: 'silent' as const };
    const api = buildApi(loadConfig(env), { logger: pino({ level: 'silent' }) });
    try {
      const get = () => request(api.app).get('/v1/jobs').set('Authorization', 'Bearer key-room');
      for (let i = 0; i < 12; i++) expect((await get()).status).toBe(200);
      const keyId = `static_${createHash('sha256').update('key-room').digest('hex').slice(0, 12)}`;
      const [counter] = await api.deps.redis.keys(`${api.deps.keys.rateLimit}*${keyId}`);
      await expect.poll(() => api.deps.redis.get(counter)).toBe('12');
      const statuses = await Promise.all(Array.from({ length: 12 }, () => get().then((r) => r.status)));
      expect(statuses.filter((s) => s === 200)).toHaveLength(8);
      expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    } finally {
      await api.close();
    }
  });
});

describe('event stream', () => {
  it('sends the events so far, then keep-alive comments while the job waits, and ends on cancel', async () => {
    const env = { REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-acme:acme', SSE_HEARTBEAT_SECONDS: '0.2', LOG_LEVEL: 'silent' as const };
    const sse = buildApi(loadConfig(env), { logger: pino({ level: 'silent' }) });
    const server = sse.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const job = (await (await fetch(`${base}/v1/jobs`, { method: 'POST', headers: { Authorization: acme, 'Content-Type': 'application/json' }, body: '{"prompt":"waits forever"}' })).json()) as { id: string };
      const res = await fetch(`${base}/v1/jobs/${job.id}/events`, { headers: { Authorization: acme } });
      expect(res.headers.get('content-type')).toContain('text/event-stream');
      const reader = res.body!.getReader();
      let text = '';
      const decoder = new TextDecoder();
      while ((text.match(/: keep-alive/g) ?? []).length < 2) text += decoder.decode((await reader.read()).value);
      expect(text).toContain('event: job.queued');
      await fetch(`${base}/v1/jobs/${job.id}/cancel`, { method: 'POST', headers: { Authorization: acme } });
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
      expect(text).toMatch(/event: job\.canceled\ndata: .*"status":"canceled"/);
    } finally {
      server.closeAllConnections();
      server.close();
      await sse.close();
    }
  });
});
