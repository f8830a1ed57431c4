// Prompt chaining at submit (`stages`), against the real Redis, without a worker: a heartbeat
// announces one model with a VAE encoder and one without; jobs stay queued.
import request from 'supertest';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltApi } from './index.js';
import { SCHNELL_LIMITS, startQueuedApi, type QueuedApi } from '../../../test/support/queued-api.js';

let queued: QueuedApi;
let api: BuiltApi;
const auth = 'Bearer key-chain';

const limits = { ...SCHNELL_LIMITS, provider: 'cpu', latents: 'host' as const };

beforeAll(async () => {
  queued = await startQueuedApi({ API_KEYS: 'key-chain:chain', ADMIN_API_KEY: 'admin-secret', MAX_ACTIVE_JOBS_PER_TENANT: '50' }, [{ name: 'shapes', image_input: true, ...limits }, { name: 'no-encoder', image_input: false, ...limits }]);
  api = queued.api;
});

afterAll(() => queued?.close());

const submit = (body: object) => request(api.app).post('/v1/jobs').set('Authorization', auth).send(body);
const png = () => sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();

describe('POST /v1/jobs with stages', () => {
  it.each<[string, () => Promise<object>, string]>([
    ['no stages', async () => ({ prompt: 'x', model: 'shapes', stages: [] }), 'stages'],
    ['nine stages', async () => ({ prompt: 'x', model: 'shapes', stages: Array.from({ length: 9 }, () => ({})) }), 'stages'],
    ['a stage strength of 0', async () => ({ prompt: 'x', model: 'shapes', stages: [{}, { strength: 0 }] }), 'stages.1.strength'],
    ['a stage strength above 1', async () => ({ prompt: 'x', model: 'shapes', stages: [{}, { strength: 1.2 }] }), 'stages.1.strength'],
    ['an unknown stage field', async () => ({ prompt: 'x', model: 'shapes', stages: [{}, { guidance: 3 }] }), 'stages.1.guidance'],
    ['an empty stage prompt', async () => ({ prompt: 'x', model: 'shapes', stages: [{}, { prompt: ' ' }] }), 'stages.1.prompt'],
    ['stage steps over the model', async () => ({ prompt: 'x', model: 'shapes', stages: [{}, { steps: 80 }] }), 'stages.1.steps'],
    ['a first-stage strength without image', async () => ({ prompt: 'x', model: 'shapes', stages: [{ strength: 0.5 }, {}] }), 'stages.0.strength'],
    ['strength given twice', async () => ({ prompt: 'x', model: 'shapes', image: `data:image/png;base64,${(await png()).toString('base64')}`, strength: 0.5, stages: [{ strength: 0.4 }] }), 'stages.0.strength'],
    ['with num_images', async () => ({ prompt: 'x', model: 'shapes', num_images: 2, stages: [{}, {}] }), 'num_images'],
    ['with ultra', async () => ({ prompt: 'x', model: 'shapes', ultra: true, stages: [{}, {}] }), 'ultra'],
    ['with layout', async () => ({ prompt: 'x', model: 'shapes', layout: { objects: [{ box: [0, 0, 0.5, 0.5], prompt: 'a red circle' }] }, stages: [{}, {}] }), 'layout'],
    ['on a model without VAE encoder', async () => ({ prompt: 'x', model: 'no-encoder', stages: [{}, {}] }), 'stages'],
  ])('%s → 422 naming the field', async (_name, body, field) => {
    const res = await submit(await body());
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(field);
  });

  it('fills in every stage (prompt, steps, seed, strength), counts progress across stages and reserves one image per stage', async () => {
    const res = await submit({
      prompt: 'a red circle at the center on a white background', model: 'shapes', seed: 7, steps: 8,
      stages: [{}, { prompt: 'a red circle at the center on a blue background', strength: 0.5 }, { steps: 4, seed: 99 }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.input.stages).toEqual([
      { prompt: 'a red circle at the center on a white background', steps: 8, seed: 7 },
      { prompt: 'a red circle at the center on a blue background', steps: 8, seed: 8, strength: 0.5 },
      { prompt: 'a red circle at the center on a white background', steps: 4, seed: 99, strength: 0.75 },
    ]);
    // stage 0 from noise: 8 steps; stage 1 at 0.5: 4; stage 2 at the stage default 0.75 of 4: 3
    expect(res.body.progress).toEqual({ step: 0, total: 15 });
    expect(res.body.outputs).toEqual([]);
    const job = await api.deps.store.get(res.body.id);
    expect(job?.stage).toBe(0);
    expect(job?.reserved?.images).toBe(3);
  });

  it('starts the first stage from image with its own strength', async () => {
    const res = await submit({ prompt: 'x', model: 'shapes', image: `data:image/png;base64,${(await png()).toString('base64')}`, stages: [{ strength: 0.25 }, { prompt: 'y' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.input.strength).toBe(0.25);
    expect(res.body.input.stages[0].strength).toBe(0.25);
    expect(res.body.progress.total).toBe(1 + 3); // 0.25 of 4 steps, then the stage default 0.75 of 4
  });
});
