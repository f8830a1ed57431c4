import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { farmKeys, JobStore, type JobRecord } from './index.js';

const prefix = `ff-test-${randomUUID()}`;
const redis = new Redis('redis://127.0.0.1:6379');
const store = new JobStore(redis, farmKeys(prefix), { retentionMs: 60_000 });

afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

function record(tenant = 't1'): JobRecord {
  return {
    id: `j_${randomUUID()}`,
    tenant,
    model: 'mini',
    input: { prompt: 'a red circle', width: 64, height: 64 },
    status: 'queued',
    progress: { step: 0, total: 0 },
    outputs: [],
    error: null,
    createdAt: Date.now(),
    startedAt: null,
    finishedAt: null,
    cancelRequested: false,
    attempt: 0,
  };
}

describe('JobStore', () => {
  it('answers the same job for the same idempotency key and body, and a conflict for another body', async () => {
    const first = record();
    const idem = { key: 'k1', bodyHash: 'h1', ttlSec: 60 };
    expect(await store.create(first, { maxActive: 10, idempotency: idem })).toEqual({ kind: 'created', jobId: first.id });
    expect(await store.create(record(), { maxActive: 10, idempotency: idem })).toEqual({ kind: 'existing', jobId: first.id });
    expect(await store.create(record(), { maxActive: 10, idempotency: { ...idem, bodyHash: 'h2' } })).toEqual({ kind: 'conflict', jobId: first.id });
  });

  it('refuses a job over the active cap and frees the slot when a job finishes', async () => {
    const a = record('capped');
    expect((await store.create(a, { maxActive: 1 })).kind).toBe('created');
    expect(await store.create(record('capped'), { maxActive: 1 })).toEqual({ kind: 'full', active: 1 });
    await store.markStarted(a, 1);
    await store.markSucceeded(a, []);
    expect((await store.create(record('capped'), { maxActive: 1 })).kind).toBe('created');
  });

  it('cancels a queued job at once and a running one by request; a finished one stays finished', async () => {
    const queued = record();
    await store.create(queued, { maxActive: 10 });
    expect(await store.requestCancel(queued)).toBe('canceled_now');
    expect((await store.get(queued.id))?.status).toBe('canceled');
    expect((await store.markStarted(queued, 1)).kind).toBe('refused');

    const running = record();
    await store.create(running, { maxActive: 10 });
    await store.markStarted(running, 1);
    expect(await store.requestCancel(running)).toBe('requested');
    const progress = await store.reportProgress(running, 1, 4);
    expect(progress).toMatchObject({ kind: 'ok', cancelRequested: true });
    await store.markCanceled(running);
    expect(await store.requestCancel(running)).toBe('canceled');
    expect((await store.get(running.id))?.status).toBe('canceled');
  });

  it('keeps events in order and resumes after a given event id', async () => {
    const r = record();
    await store.create(r, { maxActive: 10 });
    await store.markStarted(r, 1);
    for (let step = 1; step <= 3; step++) await store.reportProgress(r, step, 3);
    await store.markSucceeded(r, [{ key: `t1/${r.id}/0.png`, content_type: 'image/png', width: 64, height: 64, seed: 1, bytes: 10 }]);
    const all = await store.readEvents(r.id);
    expect(all.map((e) => e.event.type)).toEqual(['job.queued', 'job.started', 'job.progress', 'job.progress', 'job.progress', 'job.succeeded']);
    const rest = await store.readEvents(r.id, all[2].id);
    expect(rest.map((e) => e.event.progress?.step ?? e.event.type)).toEqual([2, 3, 'job.succeeded']);
  });

  it('hands out expired jobs once and removes their records', async () => {
    const shortLived = new JobStore(redis, farmKeys(prefix), { retentionMs: 0 });
    const r = record('ret');
    await shortLived.create(r, { maxActive: 10 });
    await shortLived.markCanceled(r);
    const claimed = await shortLived.claimExpired(Date.now() + 1);
    expect(claimed).toContainEqual({ tenant: 'ret', id: r.id });
    expect(await shortLived.claimExpired(Date.now() + 1)).not.toContainEqual({ tenant: 'ret', id: r.id });
    await shortLived.remove('ret', r.id);
    expect(await shortLived.get(r.id)).toBeNull();
    expect(await shortLived.listIds('ret', 0, 10)).toEqual([]);
  });
});
