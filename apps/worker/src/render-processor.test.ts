// The render processor on the shared Redis (its own key prefix) with a model that renders only
// when the test lets it: a job the worker takes while its model renders another is claimed — held
// by the worker, still queued — and becomes running only when its own batch starts.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Job } from 'bullmq';
import type { GenerateOptions, GenerateResult } from '@flowfarm/pipeline';
import type { JobRecord, RenderToken } from '@flowfarm/queue';
import { lifecycleFixture } from '../../../packages/queue/src/testing/lifecycle-fixture.js';
import type { ResultStorage } from '@flowfarm/storage';
import type { CancelWatch } from './cancel-watch.js';
import type { Renderer } from './model-thread.js';
import { RenderBatcher } from './render-batcher.js';
import { createRenderProcessor } from './render-processor.js';
import type { ThreadRenderRequest } from './render-thread-protocol.js';

const MODEL = 'held';
const fixture = lifecycleFixture({ attempts: 1, backoffMs: 10 });
const { lifecycle } = fixture;
afterAll(() => fixture.close());

/** Renders a batch when the test calls `finish()`; records the batches (as seeds). */
class GatedRenderer implements Renderer {
  readonly name = MODEL;
  readonly manifest = {} as Renderer['manifest'];
  readonly providerInfo = { provider: 'cpu' } as Renderer['providerInfo'];
  readonly batches: number[][] = [];
  private gates: Array<() => void> = [];
  generate(request: ThreadRenderRequest, options?: GenerateOptions): Promise<GenerateResult> {
    return this.generateBatch([request], options).then((r) => r[0]);
  }
  async generateBatch(requests: ThreadRenderRequest[], _options?: GenerateOptions): Promise<GenerateResult[]> {
    this.batches.push(requests.map((r) => r.seed!));
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return requests.map((r) => ({
      request: r,
      images: [{ data: new Uint8Array([1, 2, 3]), contentType: 'image/png', width: r.width!, height: r.height!, seed: r.seed! }],
      timings: { encodeMs: 1, stepsMs: [1], decodeMs: 1, encodeImageMs: 1, totalMs: 4 },
    })) as unknown as GenerateResult[];
  }
  /** Lets the oldest batch finish. */
  finish(): void {
    this.gates.shift()?.();
  }
  get rendering(): number {
    return this.gates.length;
  }
}

function record(seed: number): JobRecord {
  return {
    id: `j_${randomUUID()}`,
    tenant: 't1',
    model: MODEL,
    input: { prompt: 'a red circle', width: 64, height: 64 },
    status: 'queued',
    progress: { step: 0, total: 4 },
    outputs: [],
    error: null,
    createdAt: Date.now(),
    startedAt: null,
    finishedAt: null,
    cancelRequested: false,
    attempt: 0,
    request: { prompt: 'a red circle', width: 64, height: 64, steps: 4, seed, numImages: 1 },
  };
}

const until = async (what: () => Promise<boolean> | boolean) => {
  const deadline = Date.now() + 10_000;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('render processor: claim and begin', () => {
  it('keeps a job taken while the model renders queued until its batch starts', async () => {
    const model = new GatedRenderer();
    const stored = new Map<string, Uint8Array>();
    const storage = { kind: 'local', put: async (key: string, data: Uint8Array) => void stored.set(key, data) } as unknown as ResultStorage;
    const cancels = { register: () => new AbortController(), release: () => {}, abort: () => {} } as unknown as CancelWatch;
    const { processRenderJob } = createRenderProcessor({
      lifecycle,
      storage,
      cancels,
      renderers: new Map([[MODEL, new RenderBatcher(model, { maxBatch: 4, windowMs: 0, slots: 1 })]]),
      logger: pino({ level: 'silent' }),
      workerId: 'w-test',
      progressIntervalMs: 0,
      current: new Set(),
    });
    const token = (id: string) => ({ data: { jobId: id }, attemptsMade: 0, stalledCounter: 0, queueName: `render.${MODEL}`, opts: { attempts: 1 } }) as unknown as Job<RenderToken>;
    const jobs = [record(1), record(2), record(3)];
    for (const job of jobs) await lifecycle.submit(job, { maxActive: 10 });

    // the first job finds the model idle: it starts at once
    const first = processRenderJob(token(jobs[0].id));
    await until(() => model.rendering === 1);
    expect(await lifecycle.store.get(jobs[0].id)).toMatchObject({ status: 'running', worker: 'w-test' });

    // the next two are taken while it renders: held by this worker, not running
    const held = [processRenderJob(token(jobs[1].id)), processRenderJob(token(jobs[2].id))];
    await until(async () => (await Promise.all(jobs.slice(1).map((j) => lifecycle.store.get(j.id)))).every((r) => r?.claimedAt));
    for (const job of jobs.slice(1)) {
      const r = (await lifecycle.store.get(job.id))!;
      expect(r).toMatchObject({ status: 'queued', startedAt: null, worker: 'w-test' });
      expect((await lifecycle.store.readEvents(job.id)).map((e) => e.event.type)).toEqual(['job.queued']);
    }
    expect(model.batches).toEqual([[1]]);

    // the first batch ends: the held jobs start together, as the next batch
    model.finish();
    expect(await first).toEqual({ status: 'succeeded' });
    await until(() => model.rendering === 1);
    expect(model.batches).toEqual([[1], [2, 3]]);
    for (const job of jobs.slice(1)) {
      const r = (await lifecycle.store.get(job.id))!;
      expect(r.status).toBe('running');
      expect(r.startedAt).toBeGreaterThanOrEqual((await lifecycle.store.get(jobs[0].id))!.startedAt!);
    }
    model.finish();
    expect(await Promise.all(held)).toEqual([{ status: 'succeeded' }, { status: 'succeeded' }]);
    const types = (await lifecycle.store.readEvents(jobs[1].id)).map((e) => e.event.type).filter((t) => t !== 'job.progress');
    expect(types).toEqual(['job.queued', 'job.started', 'job.succeeded']);
  });

  it('drops a held job canceled before its batch starts, without running it', async () => {
    const model = new GatedRenderer();
    const storage = { kind: 'local', put: async () => {} } as unknown as ResultStorage;
    const cancels = { register: () => new AbortController(), release: () => {}, abort: () => {} } as unknown as CancelWatch;
    const { processRenderJob } = createRenderProcessor({
      lifecycle,
      storage,
      cancels,
      renderers: new Map([[MODEL, new RenderBatcher(model, { maxBatch: 4, windowMs: 0, slots: 1 })]]),
      logger: pino({ level: 'silent' }),
      workerId: 'w-test2',
      progressIntervalMs: 0,
      current: new Set(),
    });
    const token = (id: string) => ({ data: { jobId: id }, attemptsMade: 0, stalledCounter: 0, queueName: `render.${MODEL}`, opts: { attempts: 1 } }) as unknown as Job<RenderToken>;
    const [a, b] = [record(10), record(11)];
    for (const job of [a, b]) await lifecycle.submit(job, { maxActive: 10 });
    const first = processRenderJob(token(a.id));
    await until(() => model.rendering === 1);
    const second = processRenderJob(token(b.id));
    await until(async () => Boolean((await lifecycle.store.get(b.id))?.claimedAt));
    expect((await lifecycle.cancel((await lifecycle.store.get(b.id))!)).kind).toBe('canceled_now');
    model.finish();
    expect(await first).toEqual({ status: 'succeeded' });
    expect(await second).toEqual({ status: 'canceled' });
    expect(model.batches).toEqual([[10]]);
    expect((await lifecycle.store.get(b.id))!.startedAt).toBeNull();
  });
});
