// Dataset routes against the real Redis, without a worker: specs are validated, stored and the
// first chunks queued; nothing renders.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { DATASET_WINDOW, DatasetStore } from '@flowfarm/queue';
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
  const config = loadConfig({ REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-acme:acme,key-globex:globex', RATE_LIMIT_PER_MINUTE: '1000', LOG_LEVEL: 'silent' });
  api = buildApi(config, { logger: pino({ level: 'silent' }) });
  await api.deps.workers.beat(
    { id: 'w1', host: 'h', pid: 1, models: [model], concurrency: 1, busy: 0, current_jobs: [], started_at: new Date().toISOString(), draining: false },
    60_000,
  );
});

afterAll(async () => {
  await new DatasetStore(api.deps.redis, api.deps.keys).queue('shapes').close();
  const keys = await api.deps.redis.keys(`${prefix}*`);
  if (keys.length) await api.deps.redis.del(...keys);
  await api.close();
  await rm(dataDir, { recursive: true, force: true });
});

const post = (body: unknown, key = 'key-acme') => request(api.app).post('/v1/datasets').set('Authorization', `Bearer ${key}`).send(body as object);
const get = (route: string, key = 'key-acme') => request(api.app).get(route).set('Authorization', `Bearer ${key}`);
const paths = (res: { body: { errors?: Array<{ path: string }> } }) => (res.body.errors ?? []).map((e) => e.path);

describe('datasets API', () => {
  it('accepts a 100,000-item spec by queuing only the first window of chunks', async () => {
    const res = await post({ count: 100_000, prompt: 'a {size} {color} circle', variables: { size: ['small', 'large'], color: ['red', 'blue'] }, seed: 3 });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', count: 100_000, model: 'shapes', counts: { succeeded: 0, failed: 0, pending: 100_000 }, files: null });
    expect(res.body.spec).toMatchObject({ seed: 3, width: 64, height: 64, steps: 4, model: 'shapes' });
    const counts = await new DatasetStore(api.deps.redis, api.deps.keys).queue('shapes').getJobCounts('waiting', 'delayed', 'active');
    expect(counts.waiting + counts.delayed + counts.active).toBe(DATASET_WINDOW);
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
