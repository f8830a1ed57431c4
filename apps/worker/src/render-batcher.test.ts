// The batcher on the shipped tiny model (in this process, wrapped to record what reaches it):
// a job that finds the model free starts at once, jobs that queue while it renders run as one
// batch, a cancel leaves the queue at once.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModel, type FlowModel, type GenerateOptions, type GenerateResult } from '@flowfarm/pipeline';
import type { Renderer } from './model-thread.js';
import { NotBegunError, RenderBatcher, type BatcherOptions } from './render-batcher.js';
import type { ThreadRenderRequest } from './render-thread-protocol.js';

const shipped = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'tiny-shapes');

/** The real model, with the list of batches (as request seeds) in the order they reached it. */
class RecordingRenderer implements Renderer {
  readonly batches: number[][] = [];
  constructor(private readonly model: FlowModel) {}
  get name() {
    return this.model.name;
  }
  get manifest() {
    return this.model.manifest;
  }
  get providerInfo() {
    return this.model.providerInfo;
  }
  async generate(request: ThreadRenderRequest, options?: GenerateOptions): Promise<GenerateResult> {
    return (await this.generateBatch([request], options))[0];
  }
  generateBatch(requests: ThreadRenderRequest[], options?: GenerateOptions): Promise<GenerateResult[]> {
    this.batches.push(requests.map((r) => r.seed!));
    return this.model.generateBatch(requests, options);
  }
}

describe('RenderBatcher', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(shipped, { intraOpThreads: 1 });
  });
  afterAll(() => model.release());
  afterEach(() => vi.useRealTimers());

  const job = (seed: number, size = 64): ThreadRenderRequest => ({ prompt: `a red circle ${seed}`, seed, width: size, height: size, steps: 2 });
  const setup = (options: Partial<BatcherOptions> = {}) => {
    const renderer = new RecordingRenderer(model);
    return { renderer, batcher: new RenderBatcher(renderer, { maxBatch: 4, windowMs: 0, slots: 1, ...options }) };
  };
  const seedsOf = (results: GenerateResult[]) => results.map((r) => r.images[0].seed);

  it('starts a job that finds the model free at once, without waiting for companions', async () => {
    const { renderer, batcher } = setup();
    const done = batcher.render(job(1));
    // the render reached the model inside render() itself: no timer, no window
    expect(renderer.batches).toEqual([[1]]);
    expect((await done).images[0].seed).toBe(1);
  });

  it('runs the jobs that queued while the model rendered as the next batch, up to maxBatch', async () => {
    const { renderer, batcher } = setup({ maxBatch: 3 });
    const first = batcher.render(job(1));
    const queued = [2, 3, 4, 5].map((seed) => batcher.render(job(seed)));
    expect(batcher.waiting).toBe(4);
    const results = await Promise.all([first, ...queued]);
    expect(renderer.batches).toEqual([[1], [2, 3, 4], [5]]);
    // every job gets its own image, rendered from its own seed
    expect(seedsOf(results)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(results.map((r) => Buffer.from(r.images[0].data).toString('base64'))).size).toBe(5);
  });

  it('keeps shapes apart and starts the oldest waiting job first', async () => {
    const { renderer, batcher } = setup();
    const all = [batcher.render(job(1)), batcher.render(job(2, 128)), batcher.render(job(3)), batcher.render(job(4, 128))];
    await Promise.all(all);
    expect(renderer.batches).toEqual([[1], [2, 4], [3]]);
  });

  it('runs up to `slots` batches at the same time', async () => {
    const { renderer, batcher } = setup({ slots: 2 });
    const all = [batcher.render(job(1)), batcher.render(job(2, 128)), batcher.render(job(3))];
    expect(renderer.batches).toEqual([[1], [2]]);
    await Promise.all(all);
    expect(renderer.batches).toEqual([[1], [2], [3]]);
  });

  it('starts an express job (one that jumped a busy queue) at once beside the batch in render, not after it', async () => {
    const { renderer, batcher } = setup({ maxBatch: 4 });
    const first = batcher.render(job(1));
    const queued = [2, 3].map((seed) => batcher.render(job(seed)));
    const express = batcher.render(job(9), { express: true });
    // the slot renders [1]; the express job is already at the model, the others wait for [1]
    expect(renderer.batches).toEqual([[1], [9]]);
    expect(batcher.expressIdle).toBe(false);
    // a second express job waits: one express render at a time
    const second = batcher.render(job(10), { express: true });
    expect(renderer.batches).toEqual([[1], [9]]);
    const results = await Promise.all([first, ...queued, express, second]);
    expect(seedsOf(results)).toEqual([1, 2, 3, 9, 10]);
    // the second express job led the next free batch
    expect(renderer.batches.slice(2)).toEqual([[10, 2, 3]]);
    expect(batcher.expressIdle).toBe(true);
  });

  it('without the express slot, an express job waits for the slot like any other', async () => {
    const { renderer, batcher } = setup({ maxBatch: 4, expressSlot: false });
    const all = [batcher.render(job(1)), batcher.render(job(2)), batcher.render(job(9), { express: true })];
    expect(renderer.batches).toEqual([[1]]);
    await Promise.all(all);
    expect(renderer.batches).toEqual([[1], [9, 2]]);
  });

  it('starts a batch led by an express job without waiting for it to fill up', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { renderer, batcher } = setup({ maxBatch: 4, windowMs: 1000 });
    const a = batcher.render(job(1));
    expect(renderer.batches).toEqual([]); // the window holds a lone job
    const b = batcher.render(job(2), { express: true });
    expect(renderer.batches).toEqual([[2, 1]]);
    await Promise.all([a, b]);
  });

  it('with a window, holds a batch that is not full until the window passes or it fills', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let now = 0;
    const { renderer, batcher } = setup({ maxBatch: 2, windowMs: 50, now: () => now });
    const a = batcher.render(job(1));
    expect(renderer.batches).toEqual([]);
    now = 10;
    const b = batcher.render(job(2));
    expect(renderer.batches).toEqual([[1, 2]]); // full: starts without waiting out the window
    await Promise.all([a, b]);
    now = 100;
    const c = batcher.render(job(3));
    now = 149;
    vi.advanceTimersByTime(49);
    expect(renderer.batches).toEqual([[1, 2]]);
    now = 150;
    vi.advanceTimersByTime(1);
    expect(renderer.batches).toEqual([[1, 2], [3]]);
    await c;
  });

  it('rejects a job canceled while it waits at once, and leaves it out of the next batch', async () => {
    const { renderer, batcher } = setup();
    const first = batcher.render(job(1));
    const controller = new AbortController();
    const canceled = batcher.render(job(2), { signal: controller.signal });
    const kept = batcher.render(job(3));
    controller.abort();
    await expect(canceled).rejects.toMatchObject({ name: 'AbortError' });
    expect(batcher.waiting).toBe(1);
    await Promise.all([first, kept]);
    expect(renderer.batches).toEqual([[1], [3]]);
  });

  it('begins a job only when its batch starts: a job held for the next batch has not begun', async () => {
    const { renderer, batcher } = setup({ maxBatch: 2 });
    const begun: number[] = [];
    const begin = (seed: number, ok = true) => async () => {
      begun.push(seed);
      // the model has not seen this job's batch yet
      expect(renderer.batches.flat()).not.toContain(seed);
      return ok;
    };
    const first = batcher.render(job(1), { begin: begin(1) });
    const held = [batcher.render(job(2), { begin: begin(2) }), batcher.render(job(3), { begin: begin(3, false) })];
    // the first batch is starting; the next two wait in the worker and have not begun
    await new Promise((r) => setImmediate(r));
    expect(begun).toEqual([1]);
    expect(batcher.waiting).toBe(2);
    await first;
    await expect(held[1]).rejects.toBeInstanceOf(NotBegunError);
    await held[0];
    expect(begun).toEqual([1, 2, 3]);
    // a job that did not begin (ended or taken over meanwhile) leaves its batch
    expect(renderer.batches).toEqual([[1], [2]]);
  });

  it('after a full batch, lets the next batch fill up again before it starts (no prefetched batch)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let now = 0;
    const { renderer, batcher } = setup({ maxBatch: 2, refillMs: 100, now: () => now });
    const full = [batcher.render(job(1)), batcher.render(job(2))];
    expect(renderer.batches).toEqual([[1]]);
    await full[0];
    await full[1];
    // [2] was not full: no refill wait; now a full batch
    const next = [batcher.render(job(3)), batcher.render(job(4))];
    await Promise.all(next);
    expect(renderer.batches).toEqual([[1], [2], [3, 4]]);
    // the worker takes the next jobs from the queue now: the first to arrive waits for a companion
    const a = batcher.render(job(5));
    expect(renderer.batches).toHaveLength(3);
    now = 5;
    const b = batcher.render(job(6));
    expect(renderer.batches.at(-1)).toEqual([5, 6]);
    await Promise.all([a, b]);
    // ... but not past the limit, which adapts to twice the refill time seen (5 ms → 10 ms)
    const c = batcher.render(job(7));
    now = 14;
    vi.advanceTimersByTime(9);
    expect(renderer.batches).toHaveLength(4);
    now = 15;
    vi.advanceTimersByTime(1);
    expect(renderer.batches.at(-1)).toEqual([7]);
    await c;
  });

  it('refills after any batch while the farm\'s queue has jobs, and stops waiting once the worker finds it empty', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let empty = false;
    const { renderer, batcher } = setup({ maxBatch: 2, refillMs: 100, now: () => 0, queueEmpty: () => empty });
    // a lone job found the model free; when it ends, more jobs are being taken from the queue
    await batcher.render(job(1));
    await new Promise((r) => setImmediate(r)); // the batch's end bookkeeping
    expect(batcher.reserve()).toBe(false); // no direct start while the next batch fills
    const a = batcher.render(job(2));
    expect(renderer.batches).toEqual([[1]]);
    const b = batcher.render(job(3));
    expect(renderer.batches.at(-1)).toEqual([2, 3]); // full: starts without waiting out the limit
    await Promise.all([a, b]);
    await new Promise((r) => setImmediate(r));
    // the worker's next look finds the queue empty: the job it holds starts alone, now
    const c = batcher.render(job(4));
    expect(renderer.batches).toHaveLength(2);
    batcher.queueDrained();
    expect(renderer.batches.at(-1)).toEqual([4]);
    empty = true;
    await c;
    await new Promise((r) => setImmediate(r));
    // a quiet farm: a batch that ends with the queue empty is followed by no refill
    expect(batcher.reserve()).toBe(true);
    batcher.unreserve();
  });

  it('reserves a slot for a job that starts at once only while the model is idle', async () => {
    const { renderer, batcher } = setup({ maxBatch: 2 });
    expect(batcher.reserve()).toBe(true);
    // the slot is promised: a job claimed meanwhile waits for it (and joins the reserved job's batch)
    expect(batcher.reserve()).toBe(false);
    const waiting = batcher.render(job(2), { begin: async () => true });
    expect(renderer.batches).toEqual([]);
    const direct = batcher.render(job(1), { reserved: true });
    await Promise.all([direct, waiting]);
    expect(renderer.batches).toEqual([[2, 1]]);
    // a reservation given back frees the slot
    expect(batcher.reserve()).toBe(true);
    batcher.unreserve();
    expect(batcher.reserve()).toBe(true);
    batcher.unreserve();
  });
});
