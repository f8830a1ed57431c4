import { describe, expect, it } from 'vitest';
import { batcherOptions, bullConcurrency, intraOpThreads, loadConfig } from './config.js';

describe('worker defaults', () => {
  it('batch by default, start a lone job at once, and divide the cores automatically', () => {
    const c = loadConfig({});
    expect([c.BATCH_MAX, c.BATCH_WINDOW_MS, c.INTRA_OP_THREADS, c.WORKERS_PER_HOST, c.WORKER_CONCURRENCY]).toEqual([4, 0, 0, 1, 1]);
    expect(batcherOptions(c)).toEqual({ maxBatch: 4, windowMs: 0, slots: 1, refillMs: 250 });
    expect(batcherOptions(loadConfig({ BATCH_PREFETCH: 'true' })).refillMs).toBe(0);
  });

  it('gives each render its share of the cores: cores ÷ (workers on the host × concurrency), at least 1', () => {
    const threads = (env: Record<string, string>, cores: number) => intraOpThreads(loadConfig(env), cores);
    expect(threads({}, 2)).toBe(2);
    expect(threads({ WORKERS_PER_HOST: '2' }, 2)).toBe(1);
    expect(threads({ WORKERS_PER_HOST: '4' }, 2)).toBe(1);
    expect(threads({ WORKERS_PER_HOST: '2', WORKER_CONCURRENCY: '2' }, 16)).toBe(4);
    expect(threads({ WORKERS_PER_HOST: '3' }, 16)).toBe(5);
    // an explicit count wins
    expect(threads({ INTRA_OP_THREADS: '3', WORKERS_PER_HOST: '2' }, 2)).toBe(3);
  });

  it('lets BullMQ hand a worker the batches it renders, one more with BATCH_PREFETCH', () => {
    expect(bullConcurrency(loadConfig({}))).toBe(4);
    expect(bullConcurrency(loadConfig({ WORKER_CONCURRENCY: '2', BATCH_MAX: '3' }))).toBe(6);
    expect(bullConcurrency(loadConfig({ BATCH_PREFETCH: 'true' }))).toBe(8);
    expect(bullConcurrency(loadConfig({ WORKER_CONCURRENCY: '2', BATCH_MAX: '3', BATCH_PREFETCH: 'true' }))).toBe(9);
    expect(bullConcurrency(loadConfig({ BATCH_MAX: '1', WORKER_CONCURRENCY: '2' }))).toBe(2);
  });
});
