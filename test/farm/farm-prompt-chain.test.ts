// Prompt chaining end to end: a job with `stages` renders each stage in turn, every stage from
// the stored output of the one before (any worker may take the next stage: the job goes back to
// queued with that stage's token). One job, one id, progress across all stages, every stage's
// image in outputs, one terminal webhook, and a worker killed between stages loses nothing.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { readPngChunks } from '@flowfarm/trust';
import { startWebhookDeliveryWorker, type WebhookDeliveryWorker } from '@flowfarm/webhooks';
import { startReceiver, type Receiver } from '../webhooks/receiver.js';
import { readEvents, startFarm, type Farm } from './support/farm.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

type Output = { url: string; stage?: number; width: number; height: number };
type JobBody = { id: string; status: string; input: Record<string, unknown>; progress: { step: number; total: number }; outputs: Output[]; error: unknown };

const chain = (tag: string, webhook?: string) => ({
  prompt: `a large red circle at the center on a white background`,
  width: 64, height: 64, steps: 4, seed: 1234,
  stages: [{}, { prompt: 'a large red circle at the center on a blue background', strength: 0.75 }],
  metadata: { tag },
  ...(webhook ? { webhook: { url: webhook } } : {}),
});

/** The PNG's text chunks (the generation parameters the pipeline embeds). */
function pngText(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const chunk of readPngChunks(png)) {
    if (chunk.type !== 'tEXt') continue;
    const zero = chunk.data.indexOf(0);
    out[Buffer.from(chunk.data.subarray(0, zero)).toString('latin1')] = Buffer.from(chunk.data.subarray(zero + 1)).toString('latin1');
  }
  return out;
}

const download = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());
const pixels = async (png: Uint8Array) => createHash('sha256').update(await sharp(png).removeAlpha().raw().toBuffer()).digest('hex');
const ended = (j: { status: string }) => !['queued', 'running'].includes(j.status);

let farm: Farm;
let receiver: Receiver;
let delivery: { worker: WebhookDeliveryWorker; redis: Redis } | undefined;
beforeAll(async () => {
  receiver = await startReceiver();
  // no watermark: two runs of the same chain give the same pixels (the watermark is per job)
  farm = await startFarm({ apiEnv: { WEBHOOK_ALLOW_PRIVATE: 'true' }, workerEnv: { WEBHOOK_ALLOW_PRIVATE: 'true', WATERMARK: 'false' } });
  // the farm's in-process API runs without the webhook integration: deliver from here
  const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  delivery = { redis, worker: startWebhookDeliveryWorker({ connection: redis, prefix: farm.prefix, timeoutMs: 2000, retryScale: 0.0002, allowPrivate: true, concurrency: 4 }) };
});
afterAll(async () => {
  await delivery?.worker.close();
  delivery?.redis.disconnect();
  await farm?.close();
  await receiver?.stop();
});

describe('prompt chaining through the farm', () => {
  it('a two-stage chain: one job, both stage images (the second made from the first), progress across stages, one terminal webhook', async () => {
    const res = await farm.call('POST', '/v1/jobs', { body: chain('two', receiver.url) });
    expect(res.status).toBe(202);
    const { id, progress } = (await res.json()) as JobBody;
    // stage 0: 4 steps from noise; stage 1: 3 of 4 at strength 0.75
    expect(progress).toEqual({ step: 0, total: 7 });
    const done = (await farm.waitForJob(id, ended)) as unknown as JobBody;
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.progress).toEqual({ step: 7, total: 7 });
    expect(done.outputs.map((o) => o.stage)).toEqual([0, 1]);
    expect(done.input.stages).toEqual([
      { prompt: 'a large red circle at the center on a white background', steps: 4, seed: 1234 },
      { prompt: 'a large red circle at the center on a blue background', steps: 4, seed: 1235, strength: 0.75 },
    ]);
    const [first, last] = await Promise.all(done.outputs.map((o) => download(o.url)));
    const p0 = pngText(first);
    const p1 = pngText(last);
    expect([p0.stage, p0.stages, p0.seed, p0.prompt]).toEqual(['0', '2', '1234', 'a large red circle at the center on a white background']);
    expect([p1.stage, p1.stages, p1.seed, p1.strength]).toEqual(['1', '2', '1235', '0.75']);
    // the second stage started from the first stage's stored file
    expect(p1.input_image_sha256).toBe(createHash('sha256').update(first).digest('hex'));

    // progress only goes forward, across both stages; the job went back to queued once, for stage 1
    const events = (await readEvents(farm, id)).events;
    const steps = events.filter((e) => e.type === 'job.progress').map((e) => (e.data.progress as { step: number }).step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(steps.at(-1)).toBe(7);
    expect(events.filter((e) => e.type === 'job.queued' && e.data.stage === 1)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'job.succeeded')).toHaveLength(1);

    // one terminal webhook for the whole chain
    await expect.poll(() => receiver.requests.filter((r) => JSON.parse(r.body).data?.id === id).length, { timeout: 60_000 }).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1000));
    const hooks = receiver.requests.map((r) => JSON.parse(r.body) as { type: string; data: JobBody }).filter((h) => h.data.id === id);
    expect(hooks.map((h) => h.type)).toEqual(['job.succeeded']);
    expect(hooks[0].data.outputs.map((o) => o.stage)).toEqual([0, 1]);

    // same inputs and seed: the same pixels at every stage
    const again = (await (await farm.call('POST', '/v1/jobs', { body: chain('two-again') })).json()) as JobBody;
    const repeat = (await farm.waitForJob(again.id, ended)) as unknown as JobBody;
    expect(repeat.status).toBe('succeeded');
    const repeated = await Promise.all(repeat.outputs.map((o) => download(o.url)));
    expect(await Promise.all(repeated.map(pixels))).toEqual(await Promise.all([first, last].map(pixels)));
  });

  it('a canceled chain stops: no further stage runs', async () => {
    const res = await farm.call('POST', '/v1/jobs', { body: { ...chain('cancel'), stages: Array.from({ length: 8 }, () => ({ strength: 1 })).map((s, k) => (k === 0 ? {} : s)) } });
    const { id } = (await res.json()) as JobBody;
    await farm.waitForJob(id, (j) => (j as unknown as JobBody).outputs.length >= 1 || ended(j));
    expect((await farm.call('POST', `/v1/jobs/${id}/cancel`)).status).toBeLessThan(300);
    const done = (await farm.waitForJob(id, ended)) as unknown as JobBody;
    expect(done.status).toBe('canceled');
    expect(done.outputs.length).toBeLessThan(8);
  });

  it.each(['stage:after-record', 'stage:before-record'])('a worker killed at %s: another worker finishes the chain, once', async (fault) => {
    for (const w of farm.workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    const faulty = await farm.startWorker({ FLOWFARM_FAULT: fault });
    const { id } = (await (await farm.call('POST', '/v1/jobs', { body: chain(fault) })).json()) as JobBody;
    expect((await faulty.exited).signal).toBe('SIGKILL');
    await farm.startWorker();
    const done = (await farm.waitForJob(id, ended, 120_000)) as unknown as JobBody;
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.outputs.map((o) => o.stage)).toEqual([0, 1]);
    for (const o of done.outputs) expect((await fetch(o.url)).status).toBe(200);
    const types = (await readEvents(farm, id)).events.map((e) => e.type);
    expect(types.filter((t) => t === 'job.succeeded')).toHaveLength(1);
    expect(types.filter((t) => ['job.failed', 'job.canceled'].includes(t))).toEqual([]);
    // no token of it is left in the queue
    const tokens = [id, `${id}-s1`].map((token) => `${farm.prefix}:render.tiny-shapes:${token}`);
    await expect.poll(async () => farm.redis.exists(...tokens), { timeout: 30_000 }).toBe(0);
  });
});
