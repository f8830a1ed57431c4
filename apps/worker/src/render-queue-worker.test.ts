// RenderQueueWorker on the shared Redis (its own key prefix) with a processor the test steps by
// hand: a job that says its render ended frees its place for the next job while it still stores
// its outputs; at most `maxReleased` jobs are in that bookkeeping; close waits for them; a job
// that fails in bookkeeping is retried as before, and one whose worker dies there is still active
// under its lock (so takeover re-runs it).
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { Queue, type ConnectionOptions, type Job } from 'bullmq';
import { RenderQueueWorker } from './render-queue-worker.js';

const prefix = `ff-test-${randomUUID()}`;
const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const connection = redis as unknown as ConnectionOptions;

afterAll(async () => {
  const found = await redis.keys(`${prefix}:*`);
  if (found.length) await redis.del(...found);
  redis.disconnect();
});

/** A gate per job name and phase, opened by the test. */
class Gates {
  private readonly open = new Map<string, () => void>();
  private readonly waiters = new Map<string, Promise<void>>();
  readonly reached: string[] = [];
  wait(name: string): Promise<void> {
    this.reached.push(name);
    let p = this.waiters.get(name);
    if (!p) {
      p = new Promise<void>((resolve) => this.open.set(name, resolve));
      this.waiters.set(name, p);
    }
    return p;
  }
  pass(name: string): void {
    if (!this.waiters.has(name)) this.waiters.set(name, Promise.resolve());
    this.open.get(name)?.();
  }
}

const until = async (what: () => boolean | Promise<boolean>, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function setUp(name: string, concurrency: number, maxReleased: number, failOnce?: string) {
  const queue = new Queue(name, { connection, prefix });
  const gates = new Gates();
  const failed = new Set<string>();
  const worker = new RenderQueueWorker<{ n: string }>(
    name,
    async (job: Job<{ n: string }>, token?: string) => {
      const n = job.data.n;
      await gates.wait(`render ${n}`);
      worker.rendered(token);
      await gates.wait(`store ${n}`);
      if (n === failOnce && !failed.has(n)) {
        failed.add(n);
        throw new Error('upload failed');
      }
      return n;
    },
    { connection, prefix, concurrency, maxReleased, drainDelay: 1, stalledInterval: 60_000, lockDuration: 30_000 },
  );
  worker.on('error', () => {});
  return { queue, gates, worker };
}

describe('RenderQueueWorker', () => {
  it('takes the next jobs when renders end, keeps at most maxReleased in bookkeeping, and drains them on close', async () => {
    const { queue, gates, worker } = setUp(`rqw-${randomUUID().slice(0, 6)}`, 2, 2);
    const completed: string[] = [];
    worker.on('completed', (job) => completed.push(job.data.n));
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) await queue.add('render', { n });
    await until(() => gates.reached.includes('render b'));
    expect(gates.reached).not.toContain('render c'); // two places: two jobs in hand
    // a and b finish rendering but not storing: c and d are taken meanwhile
    gates.pass('render a');
    gates.pass('render b');
    await until(() => gates.reached.includes('render c') && gates.reached.includes('render d'));
    expect(worker.inBookkeeping).toBe(2);
    // c and d end their renders while a and b still store: no room (bounded), e waits
    gates.pass('render c');
    gates.pass('render d');
    await until(() => gates.reached.includes('store c') && gates.reached.includes('store d'));
    await new Promise((r) => setTimeout(r, 100));
    expect(gates.reached).not.toContain('render e');
    // a stores: c takes its bookkeeping place, and c's place goes to e
    gates.pass('store a');
    await until(() => gates.reached.includes('render e'));
    expect(gates.reached).not.toContain('render f');
    expect(completed).toEqual(['a']);
    // close: no new job is taken, and the jobs in hand (b, c, d storing; e rendering) finish first
    const closed = worker.close();
    let done = false;
    void closed.then(() => (done = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    for (const n of ['b', 'c', 'd', 'e']) gates.pass(`store ${n}`);
    gates.pass('render e');
    await closed;
    expect(completed.sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(gates.reached).not.toContain('render f');
    expect(await queue.getWaitingCount()).toBe(2);
    await queue.close();
  });

  it('makes room for one more job while every job in hand still renders (a job that jumped the queue is taken at once)', async () => {
    const { queue, gates, worker } = setUp(`rqw-${randomUUID().slice(0, 6)}`, 1, 1);
    for (const n of ['a', 'b', 'c']) await queue.add('render', { n });
    await until(() => gates.reached.includes('render a'));
    await new Promise((r) => setTimeout(r, 100));
    expect(gates.reached).not.toContain('render b'); // one place, held by a's render
    expect(worker.makeRoom()).toBe(true);
    await until(() => gates.reached.includes('render b'));
    expect(gates.reached).not.toContain('render c'); // one more, not every job
    // a's render ending gives nothing more: its place was given already
    gates.pass('render a');
    await until(() => gates.reached.includes('store a'));
    await new Promise((r) => setTimeout(r, 100));
    expect(gates.reached).not.toContain('render c');
    for (const g of ['store a', 'render b', 'store b', 'render c', 'store c']) gates.pass(g);
    await until(async () => (await queue.getCompletedCount()) === 3);
    await worker.close();
    await queue.close();
  });

  it('retries a job whose bookkeeping failed, and a job in bookkeeping stays active under its lock', async () => {
    const { queue, gates, worker } = setUp(`rqw-${randomUUID().slice(0, 6)}`, 1, 1, 'a');
    const job = await queue.add('render', { n: 'a' }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    await queue.add('render', { n: 'b' });
    gates.pass('render a');
    await until(() => gates.reached.includes('store a') && gates.reached.includes('render b'));
    // storing, released from the concurrency: still BullMQ-active and locked by this worker
    expect(await queue.getJobState(job.id!)).toBe('active');
    expect(await redis.exists(`${prefix}:${queue.name}:${job.id}:lock`)).toBe(1);
    gates.pass('store a'); // fails once: retried (render and store again) after b's render ends
    gates.pass('render b');
    gates.pass('store b');
    await until(async () => (await queue.getJobState(job.id!)) === 'completed');
    expect(gates.reached.filter((r) => r === 'store a')).toHaveLength(2);
    await worker.close();
    await queue.close();
  });
});
