// The submit script writes a job's BullMQ token itself (lifecycle/scripts.ts WRITE_TOKEN), in the
// same step as the record. These tests hold it to what BullMQ's own queue.add writes, field by
// field, so a BullMQ upgrade that changes its job format fails here rather than in production,
// and show that a stock BullMQ Worker takes the token.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import { renderQueueName, type JobRecord } from './index.js';
import { lifecycleFixture } from './testing/lifecycle-fixture.js';

const fixture = lifecycleFixture({ attempts: 3, backoffMs: 250 });
const { prefix, redis, queues, lifecycle } = fixture;
afterAll(() => fixture.close());

function record(model: string): JobRecord {
  return {
    id: `job_${randomUUID().slice(0, 16)}`, tenant: model, model, input: { prompt: 'a red circle', width: 64, height: 64 },
    status: 'queued', progress: { step: 0, total: 4 }, outputs: [], error: null, createdAt: Date.now(),
    startedAt: null, finishedAt: null, cancelRequested: false, attempt: 0,
    request: { prompt: 'a red circle', width: 64, height: 64, steps: 4, seed: 1, numImages: 1 },
  };
}

const queueKey = (model: string, suffix: string) => `${prefix}:${renderQueueName(model)}:${suffix}`;

describe('the render token the submit script writes', () => {
  it('is the job queue.add would write: same hash fields, options, priority score, marker and events', async () => {
    const model = `tok-${randomUUID().slice(0, 6)}`;
    const ours = record(model);
    const outcome = await lifecycle.submit(ours, { maxActive: 10 });
    expect(outcome.kind).toBe('created');
    // BullMQ's own add of a token with the same priority, right after ours
    const theirsId = `job_${randomUUID().slice(0, 16)}`;
    await queues.dispatch(model, theirsId, (outcome as { record: JobRecord }).record.dispatchPriority!);

    const mine = await redis.hgetall(queueKey(model, ours.id));
    const theirs = await redis.hgetall(queueKey(model, theirsId));
    expect(Object.keys(mine).sort()).toEqual(Object.keys(theirs).sort());
    expect(mine.name).toBe(theirs.name);
    expect(JSON.parse(mine.data)).toEqual({ jobId: ours.id });
    expect(JSON.parse(theirs.data)).toEqual({ jobId: theirsId });
    expect({ ...JSON.parse(mine.opts), jobId: 'x' }).toEqual({ ...JSON.parse(theirs.opts), jobId: 'x' });
    expect(JSON.parse(mine.opts).jobId).toBe(ours.id);
    expect([mine.delay, mine.priority]).toEqual([theirs.delay, theirs.priority]);
    expect(Number(mine.timestamp)).toBe(ours.createdAt);

    // the prioritized entries: priority · 2³² + BullMQ's counter, ours first (added first)
    const scores = await redis.zrange(queueKey(model, 'prioritized'), 0, -1, 'WITHSCORES');
    expect(scores.filter((_, i) => i % 2 === 0)).toEqual([ours.id, theirsId]);
    const [a, b] = [Number(scores[1]), Number(scores[3])];
    expect(Math.floor(a / 2 ** 32)).toBe(Number(mine.priority));
    expect(b - a).toBe(1);
    expect(await redis.zscore(queueKey(model, 'marker'), '0')).toBe('0');
    expect(await redis.get(queueKey(model, 'id'))).toBe('2');
    const events = (await redis.xrange(queueKey(model, 'events'), '-', '+')).map(([, fields]) => `${fields[1]} ${fields[3]}`);
    expect(events).toEqual([`added ${ours.id}`, `waiting ${ours.id}`, `added ${theirsId}`, `waiting ${theirsId}`]);
  });

  it('is taken by a stock BullMQ Worker with the retry policy of the queue', async () => {
    const model = `tok-${randomUUID().slice(0, 6)}`;
    const r = record(model);
    await lifecycle.submit(r, { maxActive: 10 });
    const seen = new Promise<{ data: unknown; attempts: number | undefined; backoff: unknown }>((resolve) => {
      const worker = new Worker(renderQueueName(model), async (job) => resolve({ data: job.data, attempts: job.opts.attempts, backoff: job.opts.backoff }), {
        connection: redis.duplicate(), prefix,
      });
      void worker.waitUntilReady();
      afterAll(() => worker.close());
    });
    expect(await seen).toEqual({ data: { jobId: r.id }, attempts: 3, backoff: { type: 'exponential', delay: 250 } });
  });

  it('is written with the record or not at all: a refused submit leaves no token', async () => {
    const model = `tok-${randomUUID().slice(0, 6)}`;
    const first = record(model);
    await lifecycle.submit(first, { maxActive: 1 });
    const refused = { ...record(model) };
    expect((await lifecycle.submit(refused, { maxActive: 1 })).kind).toBe('full');
    expect(await redis.exists(queueKey(model, refused.id))).toBe(0);
    expect(await redis.zcard(queueKey(model, 'prioritized'))).toBe(1);
  });
});
