// readBullmqQueue against a real BullMQ queue on the shared Redis: the counts the queue
// gauges show, and the submit time of the oldest job still waiting (prioritized included).
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { readBullmqQueue } from '@flowfarm/metrics';

const REDIS_URL = 'redis://127.0.0.1:6379';
let queue: Queue;

beforeEach(() => {
  queue = new Queue('render.tiny', { connection: { url: REDIS_URL }, prefix: `ff-test-${randomUUID()}` });
  queue.on('error', () => {});
});

afterEach(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
});

it('reports counts by state and the oldest waiting job', async () => {
  expect(await readBullmqQueue(queue)).toEqual({
    counts: { waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0 },
    oldestWaitingAt: null,
  });

  const first = await queue.add('render', { n: 1 }, { timestamp: 1_000_000 });
  await queue.add('render', { n: 2 }, { timestamp: 2_000_000 });
  await queue.add('render', { n: 3 }, { timestamp: 3_000_000, priority: 5 });
  await queue.add('render', { n: 4 }, { delay: 60_000 });
  expect(first.timestamp).toBe(1_000_000);

  const read = await readBullmqQueue(queue);
  expect(read.counts).toEqual({ waiting: 2, prioritized: 1, active: 0, delayed: 1, failed: 0 });
  expect(read.oldestWaitingAt).toBe(1_000_000);

  await first.remove();
  expect((await readBullmqQueue(queue)).oldestWaitingAt).toBe(2_000_000);
});

it('counts a prioritized job as waiting when it is the oldest', async () => {
  await queue.add('render', {}, { timestamp: 500, priority: 1 });
  await queue.add('render', {}, { timestamp: 900 });
  expect((await readBullmqQueue(queue)).oldestWaitingAt).toBe(500);
});

it('counts the jobs of a paused queue as waiting', async () => {
  await queue.add('render', {}, { timestamp: 700 });
  await queue.pause();
  await queue.add('render', {}, { timestamp: 800 });
  const read = await readBullmqQueue(queue);
  expect(read.counts.waiting).toBe(2);
  expect(read.oldestWaitingAt).toBe(700);
});
