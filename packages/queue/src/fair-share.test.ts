// Fair-share priorities against a real Redis and real BullMQ queues: jobs are added with the
// priority the scheduler gives them and taken in BullMQ's own order (lowest score first), as a
// worker would take them.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { FairScheduler, farmKeys, renderQueueName } from './index.js';

const redis = new Redis('redis://127.0.0.1:6379');
const prefixes: string[] = [];
const queues: Queue[] = [];

afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length) await redis.del(...keys);
  }
  redis.disconnect();
});

/** A model queue with its scheduler; `take` pops the job a worker would get next. */
function farm() {
  const prefix = `ff-test-${randomUUID()}`;
  prefixes.push(prefix);
  const keys = farmKeys(prefix);
  const fair = new FairScheduler(redis, keys);
  const model = 'm';
  const queue = new Queue(renderQueueName(model), { connection: redis as unknown as ConnectionOptions, prefix });
  queues.push(queue);
  const prioritized = `${prefix}:${renderQueueName(model)}:prioritized`;
  let n = 0;
  return {
    keys,
    async submit(tenant: string, options: { rank?: number; cost?: number } = {}): Promise<string> {
      const jobId = `${tenant}-${n++}`;
      const priority = await fair.assign({ model, tenant, jobId, rank: options.rank ?? 1, cost: options.cost ?? 1, defaultJobCost: 1 });
      await queue.add('render', {}, { jobId, priority });
      return jobId;
    },
    async take(): Promise<string | null> {
      const [id] = await redis.zrange(prioritized, 0, 0);
      if (!id) return null;
      await redis.zrem(prioritized, id);
      return id;
    },
    weight: (tenant: string, weight: number) => redis.hset(keys.tenantPolicy(tenant), 'weight', String(weight)),
  };
}

const tenantOf = (id: string) => id.split('-')[0];

describe('FairScheduler', () => {
  it('interleaves two flooding tenants 1:1, and 3:1 with weights 3 and 1', async () => {
    const f = farm();
    for (let i = 0; i < 40; i++) await f.submit('a');
    for (let i = 0; i < 40; i++) await f.submit('b'); // b floods after a: still gets every other slot
    const first20: string[] = [];
    for (let i = 0; i < 20; i++) first20.push((await f.take())!);
    expect(first20.filter((id) => tenantOf(id) === 'b')).toHaveLength(10);

    const g = farm();
    await g.weight('a', 3);
    for (let i = 0; i < 200; i++) await g.submit('a');
    for (let i = 0; i < 200; i++) await g.submit('b');
    const taken: string[] = [];
    for (let i = 0; i < 120; i++) taken.push((await g.take())!);
    const a = taken.filter((id) => tenantOf(id) === 'a').length;
    expect(a / (taken.length - a)).toBeGreaterThan(2.7);
    expect(a / (taken.length - a)).toBeLessThan(3.3);
  });

  it('puts a tenant that arrives during a flood at the head, not behind the flood', async () => {
    const f = farm();
    for (let i = 0; i < 500; i++) await f.submit('a');
    for (let i = 0; i < 100; i++) await f.take(); // the farm works through a's jobs
    const b = await f.submit('b');
    expect(await f.take()).toBe(b); // before the a job that shares its tag: it waits only for a free worker
  });

  it('runs a tenant\'s higher classes first, without moving other tenants\' slots', async () => {
    const f = farm();
    const lows = [];
    for (let i = 0; i < 6; i++) lows.push(await f.submit('a', { rank: 2 }));
    for (let i = 0; i < 6; i++) await f.submit('b');
    const highs = [];
    for (let i = 0; i < 3; i++) highs.push(await f.submit('a', { rank: 0 }));
    const order: string[] = [];
    for (let id = await f.take(); id; id = await f.take()) order.push(id);
    const aOrder = order.filter((id) => tenantOf(id) === 'a');
    expect(aOrder).toEqual([...highs, ...lows]);
    // b still gets every other slot among the first 12
    expect(order.slice(0, 12).filter((id) => tenantOf(id) === 'b')).toHaveLength(6);
  });

  it('starts every tenant level once the queue has drained, whatever it ran before', async () => {
    const f = farm();
    await f.submit('b', { cost: 100 }); // a big job, already run: b is not charged for it again
    await f.take();
    for (let i = 0; i < 3; i++) {
      await f.submit('a');
      await f.submit('b');
    }
    const first4 = [await f.take(), await f.take(), await f.take(), await f.take()];
    expect(first4.map((id) => tenantOf(id!)).sort()).toEqual(['a', 'a', 'b', 'b']);
  });

  it('rebases priorities before they pass BullMQ\'s limit, keeping the order', async () => {
    const f = farm();
    // cost per job = 64 priority steps; 2^21 / 64 jobs of one tenant pass the limit
    await redis.hset(f.keys.fairState('m'), 'unit', String(1 / 64), 'fmax', String(2 ** 21 / 64 - 10), 'f:a', String(2 ** 21 / 64 - 10));
    const ids = [];
    for (let i = 0; i < 30; i++) ids.push(await f.submit('a'));
    const order: string[] = [];
    for (let id = await f.take(); id; id = await f.take()) order.push(id);
    expect(order).toEqual(ids);
    expect(Number(await redis.hget(f.keys.fairState('m'), 'base'))).toBeGreaterThan(0);
  });
});
