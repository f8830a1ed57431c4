// Dataset routes against the real Redis, without a worker: specs are validated, stored and the
// first chunks queued; nothing renders.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { DATASET_CHUNK, DATASET_WINDOW, DatasetStore, renderQueueName } from '@flowfarm/queue';
import { buildApi, loadConfig, type BuiltApi } from './index.js';

const prefix = `ff-test-${randomUUID()}`;
let api: BuiltApi;
let dataDir: string;
const model = {
  name: 'shapes', variant: 'schnell', steps: { default: 4, min: 1, max: 50 },
  resolution: { min: 32, max: 256, multiple: 16 }, default_size: { width: 64, height: 64 }, guidance: null,
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ff-api-datasets-'));
  const config = loadConfig({ REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-acme:acme,key-globex:globex,key-initech:initech,key-umbrella:umbrella,key-hooli:hooli,key-wayne:wayne,key-stark:stark,key-tyrell:tyrell', RATE_LIMIT_PER_MINUTE: '1000', LOG_LEVEL: 'silent' });
  api = buildApi(config, { logger: pino({ level: 'silent' }) });
  await api.deps.workers.beat(
    { id: 'w1', host: 'h', pid: 1, models: [model, { ...model, name: 'shapes-fair' }], concurrency: 1, busy: 0, current_jobs: [], started_at: new Date().toISOString(), draining: false },
    60_000,
  );
});

afterAll(async () => {
  const store = new DatasetStore(api.deps.redis, api.deps.keys);
  for (const m of ['shapes', 'shapes-fair']) await store.queue(m).close();
  await store.close();
  const keys = await api.deps.redis.keys(`${prefix}*`);
  if (keys.length) await api.deps.redis.del(...keys);
  await api.close();
  await rm(dataDir, { recursive: true, force: true });
});

const post = (body: unknown, key = 'key-acme') => request(api.app).post('/v1/datasets').set('Authorization', `Bearer ${key}`).send(body as object);
const get = (route: string, key = 'key-acme') => request(api.app).get(route).set('Authorization', `Bearer ${key}`);
const paths = (res: { body: { errors?: Array<{ path: string }> } }) => (res.body.errors ?? []).map((e) => e.path);

describe('datasets API', () => {
  it('accepts a 100,000-item spec by queuing only the first window of chunks (in the render queue, fair-share priorities)', async () => {
    const res = await post({ count: 100_000, prompt: 'a {size} {color} circle', variables: { size: ['small', 'large'], color: ['red', 'blue'] }, seed: 3 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', count: 100_000, model: 'shapes', counts: { succeeded: 0, failed: 0, pending: 100_000 }, files: null });
    expect(res.body.spec).toMatchObject({ seed: 3, width: 64, height: 64, steps: 4, model: 'shapes' });
    const store = new DatasetStore(api.deps.redis, api.deps.keys);
    const counts = await store.renderQueue('shapes').getJobCounts('waiting', 'prioritized', 'delayed', 'active');
    expect(counts.waiting + counts.prioritized + counts.delayed + counts.active).toBe(DATASET_WINDOW);
    expect(counts.prioritized).toBe(DATASET_WINDOW);
    await store.close();
  });

  it('puts dataset chunks in fair-share order: another tenant\'s job is not queued behind them, the owner\'s own job is', async () => {
    // acme's 100,000-item dataset (above) has its window of chunks queued; wayne starts one too
    expect((await post({ count: 1000, prompt: 'a blue square' }, 'key-wayne')).status).toBe(202);
    const job = (key: string) => request(api.app).post('/v1/jobs').set('Authorization', `Bearer ${key}`).send({ prompt: 'a red circle', model: 'shapes' });
    const newcomer = await job('key-umbrella');
    expect(newcomer.status).toBe(202);
    // next in line, or level with the two chunks at the head (a fresh queue is at virtual time 0,
    // where nothing can go before the head), not behind the 16 queued chunks
    expect(newcomer.body.queue_position).toBeLessThanOrEqual(2);
    // acme's dataset counts against acme's share: its next job waits behind its own chunks
    const owner = await job('key-acme');
    expect(owner.status).toBe(202);
    expect(owner.body.queue_position).toBeGreaterThanOrEqual(DATASET_WINDOW);
    // queued work in the model's queue: 16 chunks of 16 items and the two jobs
    const q = new DatasetStore(api.deps.redis, api.deps.keys).renderQueue('shapes');
    expect(await q.getJobCountByTypes('prioritized')).toBe(2 * DATASET_WINDOW + 2);
    expect(renderQueueName('shapes')).toBe(q.name);
    expect(DATASET_CHUNK).toBe(16);
    await q.close();
  });

  it('gives two tenants\' datasets the farm in proportion to their weights (3:1)', async () => {
    await api.deps.policies.update('stark', { weight: 3 });
    const spec = { count: 8 * DATASET_CHUNK, prompt: 'a red circle', model: 'shapes-fair' };
    const stark = (await post(spec, 'key-stark')).body.id as string;
    const tyrell = (await post(spec, 'key-tyrell')).body.id as string;
    // the order workers will take the chunks in: BullMQ's prioritized set, lowest score first
    const order = await api.deps.redis.zrange(`${prefix}:${renderQueueName('shapes-fair')}:prioritized`, 0, -1);
    expect(order).toHaveLength(16);
    const owner = (jobId: string) => (jobId.startsWith(stark) ? 'stark' : jobId.startsWith(tyrell) ? 'tyrell' : '?');
    const firstEight = order.slice(0, 8).map(owner);
    expect(firstEight.filter((o) => o === 'stark')).toHaveLength(6);
    expect(firstEight.filter((o) => o === 'tyrell')).toHaveLength(2);
  });

  it('reserves the whole set against the tenant\'s quotas at create: 429 quota_exceeded when it cannot fit, given back on cancel', async () => {
    await api.deps.policies.update('initech', { quotas: { daily_images: 100 } });
    const tooMany = await post({ count: 150, prompt: 'a red circle' }, 'key-initech');
    expect(tooMany.status).toBe(429);
    expect(tooMany.headers['content-type']).toContain('application/problem+json');
    expect(tooMany.body).toMatchObject({ code: 'quota_exceeded', quota: 'daily_images', limit: 100, used: 0, requested: 150 });
    expect(tooMany.body.detail).toContain('this dataset of 150 items needs 150');
    expect(Number(tooMany.headers['retry-after'])).toBeGreaterThan(0);
    expect((await get('/v1/datasets', 'key-initech')).body.data).toEqual([]); // nothing stored

    const first = await post({ count: 60, prompt: 'a red circle' }, 'key-initech');
    expect(first.status).toBe(202);
    const usage = await get('/v1/usage', 'key-initech');
    expect(usage.body.reserved.day.images).toBe(60);
    expect(usage.body.reserved.day.megapixel_steps).toBeCloseTo((60 * 64 * 64 * 4) / 1e6, 6);
    const second = await post({ count: 60, prompt: 'a red circle' }, 'key-initech');
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({ quota: 'daily_images', used: 60, requested: 60 });

    // canceled before anything rendered: all 60 go back
    expect((await request(api.app).post(`/v1/datasets/${first.body.id}/cancel`).set('Authorization', 'Bearer key-initech')).status).toBe(202);
    expect((await get('/v1/usage', 'key-initech')).body.reserved.day.images).toBe(0);
    expect((await post({ count: 60, prompt: 'a red circle' }, 'key-initech')).status).toBe(202);

    // a megapixel-steps quota counts the items' size and steps
    await api.deps.policies.update('initech', { quotas: { daily_images: null, daily_megapixel_steps: 1 } });
    const big = await post({ count: 100, prompt: 'a red circle', width: 256, height: 256, steps: 4 }, 'key-initech');
    expect(big.status).toBe(429);
    expect(big.body).toMatchObject({ quota: 'daily_megapixel_steps', requested: (100 * 256 * 256 * 4) / 1e6 });
  });

  it('removes a finished dataset\'s records once past retention, like a job', async () => {
    const created = await post({ count: 20, prompt: 'a red circle' }, 'key-hooli');
    const id = created.body.id as string;
    const store = new DatasetStore(api.deps.redis, api.deps.keys, { retentionMs: 60_000 });
    const record = (await store.get(id))!;
    await store.recordItem(record, 0, { index: 0, status: 'succeeded' }, false, 5);
    expect((await request(api.app).post(`/v1/datasets/${id}/cancel`).set('Authorization', 'Bearer key-hooli')).status).toBe(202);
    expect(await store.claimExpired(Date.now())).toEqual([]); // not due yet
    const due = await store.claimExpired(Date.now() + 86_400_000 + 1000); // the API's retention: JOB_RETENTION_SECONDS (1 day)
    expect(due.map((r) => r.id)).toContain(id); // (and the datasets canceled above)
    for (const r of due) await store.remove(r);
    expect(await store.claimExpired(Date.now() + 86_400_000 + 1000)).toEqual([]); // claimed once
    expect((await get(`/v1/datasets/${id}`, 'key-hooli')).status).toBe(404);
    expect((await get('/v1/datasets', 'key-hooli')).body.data).toEqual([]);
    expect(await api.deps.redis.exists(`${prefix}:dataset:${id}:items`, `${prefix}:dataset:${id}:done`)).toBe(0);
    // an item recorded after removal (a chunk still rendering) writes nothing back
    expect(await store.recordItem(record, 1, { index: 1 }, false)).toBe(false);
    await store.close();
  });

  it('streams the manifest while the dataset runs: lines in the order items finished, from= for the new ones', async () => {
    const created = await post({ count: 20, prompt: 'a red circle' }, 'key-hooli');
    const id = created.body.id as string;
    const store = new DatasetStore(api.deps.redis, api.deps.keys);
    const record = (await store.get(id))!;
    const manifest = async (query = '', key = 'key-hooli') => {
      const res = await get(`/v1/datasets/${id}/manifest${query}`, key).buffer(true).parse((r, done) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => done(null, text));
      });
      return { res, indexes: String(res.body).split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { index: number }).index) };
    };
    expect((await manifest()).indexes).toEqual([]);
    await store.recordItem(record, 3, { index: 3, status: 'succeeded' }, false);
    await store.recordItem(record, 0, { index: 0, status: 'succeeded' }, false);
    const first = await manifest();
    expect(first.res.status).toBe(200);
    expect(first.res.headers['content-type']).toContain('application/x-ndjson');
    expect(first.res.headers['dataset-status']).toBe('queued');
    expect(first.indexes).toEqual([3, 0]);
    await store.recordItem(record, 3, { index: 3, status: 'succeeded' }, false); // a re-run: not appended again
    await store.recordItem(record, 7, { index: 7, status: 'failed' }, true);
    expect((await manifest('?from=2')).indexes).toEqual([7]);
    expect((await manifest()).indexes).toEqual([3, 0, 7]);
    expect((await manifest('?from=-1')).res.status).toBe(422);
    expect((await manifest('', 'key-acme')).res.status).toBe(404);
    await store.close();
  });

  it('lists, shows and cancels only the tenant\'s own datasets', async () => {
    const created = await post({ count: 5, prompt: 'a red circle', name: 'reds' });
    const id = created.body.id as string;
    expect((await get('/v1/datasets')).body.data.map((d: { id: string }) => d.id)).toContain(id);
    expect((await get(`/v1/datasets/${id}`)).body.name).toBe('reds');
    expect((await get(`/v1/datasets/${id}`, 'key-globex')).status).toBe(404);
    expect((await get('/v1/datasets', 'key-globex')).body.data).toEqual([]);
    const canceled = await request(api.app).post(`/v1/datasets/${id}/cancel`).set('Authorization', 'Bearer key-acme');
    expect(canceled.status).toBe(202);
    expect(canceled.body.status).toBe('canceled');
    const again = await request(api.app).post(`/v1/datasets/${id}/cancel`).set('Authorization', 'Bearer key-acme');
    expect(again.status).toBe(409);
  });

  it('answers bad specs with 422 and the field paths', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{ prompt: 'x' }, ['count']],
      [{ count: 100_001, prompt: 'x' }, ['count']],
      [{ count: 3 }, ['prompt']],
      [{ count: 3, prompt: 'a {color} circle' }, ['prompt']],
      [{ count: 3, prompt: 'x', variables: { 'bad name': ['a'] } }, ['variables.bad name']],
      [{ count: 3, prompt: 'x', variables: { color: [] } }, ['variables.color']],
      [{ count: 3, prompt: 'x', width: 65 }, ['width']],
      [{ count: 3, prompt: 'x', colour: 'red' }, ['colour']],
      [{ count: 3, layout: { objects: { min: 3, max: 2 }, labels: [], background: 'a {bg} background' } }, ['layout.objects.min', 'layout.labels', 'layout.background']],
      [{ count: 3, layout: { objects: { min: 1, max: 9 }, labels: [{ label: 'c', prompt: 'a {size} circle' }], background: 'white' }, variables: { bg: ['w'] } }, ['layout.objects.max', 'layout.labels.0.prompt']],
    ];
    for (const [body, expected] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(paths(res), JSON.stringify(body)).toEqual(expect.arrayContaining(expected));
    }
    const tooBig = await post({ count: 3, prompt: 'x', width: 512 });
    expect(tooBig.status).toBe(422);
    expect(paths(tooBig)).toEqual(['width']);
    const unknownModel = await post({ count: 3, prompt: 'x', model: 'nope' });
    expect(unknownModel.status).toBe(422);
    expect(paths(unknownModel)).toEqual(['model']);
  });
});
