// Layout and scene jobs through the API against the real Redis (no worker: jobs stay queued,
// and the queued BullMQ job shows what a worker would render).
import { randomUUID } from 'node:crypto';
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
const model = {
  name: 'shapes', variant: 'schnell', steps: { default: 4, min: 1, max: 50 },
  resolution: { min: 32, max: 256, multiple: 16 }, default_size: { width: 64, height: 64 }, guidance: null,
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'ff-api-layout-'));
  const config = loadConfig({ REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'key-acme:acme', RATE_LIMIT_PER_MINUTE: '1000', LOG_LEVEL: 'silent' });
  api = buildApi(config, { logger: pino({ level: 'silent' }) });
  await api.deps.workers.beat(
    { id: 'w1', host: 'h', pid: 1, models: [model], concurrency: 1, busy: 0, current_jobs: [], started_at: new Date().toISOString(), draining: false },
    60_000,
  );
});

afterAll(async () => {
  const keys = await api.deps.redis.keys(`${prefix}*`);
  if (keys.length) await api.deps.redis.del(...keys);
  await api.close();
  await rm(dataDir, { recursive: true, force: true });
});

const submit = (body: unknown) => request(api.app).post('/v1/jobs').set('Authorization', 'Bearer key-acme').send(body as object);
const queuedRequest = async (id: string) => (await api.deps.store.get(id))!.request!;

describe('layout jobs', () => {
  it('queues the layout with the render request', async () => {
    const layout = { background: 'a white background', objects: [{ box: [0.1, 0.1, 0.4, 0.4], prompt: 'a small red circle', label: 'circle' }] };
    const res = await submit({ prompt: 'a red circle on white', layout, seed: 5 });
    expect(res.status).toBe(202);
    expect(await queuedRequest(res.body.id)).toMatchObject({ prompt: 'a red circle on white', seed: 5, layout });
    const view = await request(api.app).get(`/v1/jobs/${res.body.id}`).set('Authorization', 'Bearer key-acme');
    expect(view.body.input.layout).toEqual(layout);
  });

  it('projects a scene through its camera into a layout', async () => {
    const scene = {
      camera: { position: [0, -10, 0], look_at: [0, 0, 0], fov_deg: 90 },
      objects: [{ position: [0, 0, 0], size: [2, 2, 2], prompt: 'a red cube', label: 'cube' }],
    };
    const res = await submit({ prompt: 'a cube', scene, width: 128, height: 64 });
    expect(res.status).toBe(202);
    const { layout } = await queuedRequest(res.body.id);
    const [x0, y0, x1, y1] = layout!.objects[0].box;
    // 128x64 with a 90° horizontal view: the cube's front face (depth 9) spans ±1/9 of the half-width
    expect((x0 + x1) / 2).toBeCloseTo(0.5, 5);
    expect(x1 - x0).toBeCloseTo(2 / 9 / 2, 5);
    expect(y1 - y0).toBeCloseTo((2 / 9 / 2) * 2, 5);
    expect(layout!.objects[0].label).toBe('cube');
  });

  it('answers bad layouts and scenes with 422 and the field paths', async () => {
    const bad = await submit({ prompt: 'x', layout: { objects: [{ box: [0.5, 0.2, 0.4, 0.9], prompt: 'a' }, { box: [0, 0, 1, 1] }] } });
    expect(bad.status).toBe(422);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['layout.objects.0.box', 'layout.objects.1.prompt']));

    const both = await submit({ prompt: 'x', layout: { objects: [{ box: [0, 0, 1, 1], prompt: 'a' }] }, scene: { camera: { position: [0, -1, 0], look_at: [0, 0, 0] }, objects: [{ position: [0, 0, 0], size: [1, 1, 1], prompt: 'a' }] } });
    expect(both.status).toBe(422);
    expect(both.body.errors[0].path).toBe('scene');

    const behind = await submit({ prompt: 'x', scene: { camera: { position: [0, -10, 0], look_at: [0, 0, 0] }, objects: [{ position: [0, -20, 0], size: [1, 1, 1], prompt: 'a' }] } });
    expect(behind.status).toBe(422);
    expect(behind.body.errors).toEqual([expect.objectContaining({ path: 'scene.objects.0.position', code: 'not_visible' })]);

    const mode = await submit({ prompt: 'x', layout: { mode: 'stitch', objects: [{ box: [0, 0, 1, 1], prompt: 'a' }] } });
    expect(mode.status).toBe(422);
    expect(mode.body.errors.map((e: { path: string }) => e.path)).toEqual(['layout.mode']);
  });

  it('queues the layout\'s mode, and a scene\'s, with the render request', async () => {
    const layout = { mode: 'collage', objects: [{ box: [0.1, 0.1, 0.4, 0.4], prompt: 'a small red circle' }] };
    const res = await submit({ prompt: 'a red circle on white', layout });
    expect(res.status).toBe(202);
    expect((await queuedRequest(res.body.id)).layout).toEqual(layout);
    const scene = { mode: 'regional', camera: { position: [0, -10, 0], look_at: [0, 0, 0] }, objects: [{ position: [0, 0, 0], size: [2, 2, 2], prompt: 'a red cube' }] };
    const fromScene = await submit({ prompt: 'a cube', scene });
    expect(fromScene.status).toBe(202);
    expect((await queuedRequest(fromScene.body.id)).layout!.mode).toBe('regional');
  });
});
