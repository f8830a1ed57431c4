// Quotas, usage metering and deadlines in the job store's scripts, against a real Redis.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { DeadlineSweeper, JobLifecycle, RenderQueues, TenantPolicyStore, UsageLedger, farmKeys, quotaPeriods, usageCsv, utcDay, type JobRecord } from './index.js';

const prefix = `ff-test-${randomUUID()}`;
const redis = new Redis('redis://127.0.0.1:6379');
const keys = farmKeys(prefix);
const queues = new RenderQueues(redis, keys, { attempts: 1, backoffMs: 0 });
const lifecycle = new JobLifecycle(redis, keys, queues, { retentionMs: 60_000 });
const store = lifecycle.store;
/** The submit as the API does it: the record (with its quota reservation) is what later steps get. */
async function create(r: JobRecord) {
  const out = await lifecycle.submit(r, { maxActive: 10 });
  if (out.kind === 'created') Object.assign(r, out.record);
  return out;
}
async function started(r: JobRecord): Promise<JobRecord> {
  const out = await lifecycle.start(r.id, 'w1', 1, r.model);
  if (out.kind !== 'ok') throw new Error('not started');
  return out.record;
}
const policies = new TenantPolicyStore(redis, keys);
const usage = new UsageLedger(redis, keys);

afterAll(async () => {
  await queues.close();
  const found = await redis.keys(`${prefix}:*`);
  if (found.length) await redis.del(...found);
  redis.disconnect();
});

function record(tenant: string, extra: Partial<JobRecord> = {}): JobRecord {
  return {
    id: `j_${randomUUID()}`,
    tenant,
    model: 'mini',
    input: { prompt: 'a red circle', width: 100, height: 100, steps: 10, num_images: 2 },
    status: 'queued',
    progress: { step: 0, total: 0 },
    outputs: [],
    error: null,
    createdAt: Date.now(),
    startedAt: null,
    finishedAt: null,
    cancelRequested: false,
    attempt: 0,
    keyId: 'key_1',
    ...extra,
  };
}

const output = (i: number) => ({ key: `x/${i}.png`, content_type: 'image/png', width: 100, height: 100, seed: i, bytes: 10 });

describe('quotas', () => {
  it('refuses a job over the daily image quota with the limit, the usage and the reset, and gives back what failed jobs reserved', async () => {
    await policies.update('q1', { quotas: { daily_images: 4 } });
    const a = record('q1');
    const b = record('q1');
    expect((await create(a)).kind).toBe('created');
    expect((await create(b)).kind).toBe('created');
    const over = await create(record('q1'));
    expect(over).toEqual({ kind: 'quota', breach: { quota: 'daily_images', limit: 4, used: 4, requested: 2, resetsAtMs: quotaPeriods(Date.now()).dayResetMs } });

    // a failed job does not count: its reservation comes back, once
    expect((await lifecycle.fail(a, '', { code: 'x', message: 'x' })).kind).toBe('ok');
    expect((await lifecycle.fail(a, '', { code: 'x', message: 'x' })).kind).toBe('refused');
    expect((await usage.quotaUsage('q1')).day.images).toBe(2);
    expect((await create(record('q1'))).kind).toBe('created');
    expect((await create(record('q1'))).kind).toBe('quota');
  });

  it('checks megapixel-steps per month and releases on cancel and expiry', async () => {
    // each job: 100 × 100 × 10 steps × 2 images = 0.2 megapixel-steps
    await policies.update('q2', { quotas: { monthly_megapixel_steps: 0.4 } });
    const a = record('q2');
    const b = record('q2', { startBy: Date.now() - 1 });
    expect((await create(a)).kind).toBe('created');
    expect((await create(b)).kind).toBe('created');
    const over = await create(record('q2'));
    expect(over.kind === 'quota' && over.breach).toMatchObject({ quota: 'monthly_megapixel_steps', limit: 0.4, used: 0.4, requested: 0.2 });
    expect((await lifecycle.cancel(a)).kind).toBe('canceled_now');
    expect((await lifecycle.expire(b)).kind).toBe('ok');
    expect((await usage.quotaUsage('q2')).month).toEqual({ images: 0, megapixel_steps: 0 });
    expect(await policies.update('q2', { quotas: { monthly_megapixel_steps: null } })).toMatchObject({ quotas: { monthly_megapixel_steps: null } });
  });
});

describe('usage', () => {
  it('meters a succeeded job once, with its images, megapixel-steps and render time', async () => {
    const r = record('u1');
    await create(r);
    const run = await started(r);
    expect((await lifecycle.succeed(run, 'w1', [output(0), output(1)], 1500)).kind).toBe('ok');
    // a worker that died after finishing reports again on its re-run: refused, not counted
    expect((await lifecycle.succeed(run, 'w1', [output(0), output(1)], 1500)).kind).toBe('refused');
    const today = utcDay(Date.now());
    const report = await usage.report({ tenants: ['u1'], from: today, to: today, groupBy: 'model', byTenant: false });
    expect(report.data).toEqual([{ model: 'mini', jobs: 1, images: 2, megapixel_steps: 0.2, gpu_seconds: 1.5 }]);
    const all = await usage.report({ tenants: null, from: today, to: today, groupBy: 'day', byTenant: true });
    expect(all.data).toContainEqual({ date: today, tenant: 'u1', jobs: 1, images: 2, megapixel_steps: 0.2, gpu_seconds: 1.5 });
    expect(usageCsv(report.data, { groupBy: 'model', byTenant: false })).toBe('model,jobs,images,megapixel_steps,gpu_seconds\r\nmini,1,2,0.2,1.5\r\n');
  });
});

describe('deadlines', () => {
  it('expires a queued job past its start deadline and cancels a running one past Cancel-After', async () => {
    const finished: string[] = [];
    const sweeper = new DeadlineSweeper(redis, keys, lifecycle, {
      onFinished: async (r, status) => void finished.push(`${r.id}:${status}`),
    });
    const now = Date.now();
    const waiting = record('d1', { startBy: now + 2000 });
    const running = record('d1', { startBy: now + 2000, cancelAt: now + 2000 });
    const later = record('d1', { startBy: now + 60_000 });
    for (const r of [waiting, running, later]) await create(r);
    await started(running);
    expect(await sweeper.sweep(now)).toBe(0);
    expect(await sweeper.sweep(now + 3000)).toBe(2);
    expect((await store.get(waiting.id))!.status).toBe('expired');
    expect((await store.get(running.id))!).toMatchObject({ status: 'running', cancelRequested: true });
    expect((await store.get(later.id))!.status).toBe('queued');
    // the expired job's token left its queue
    expect(await queues.queue('mini').getJob(waiting.id)).toBeUndefined();
    expect(finished).toEqual([`${waiting.id}:expired`]);
    const events = await store.readEvents(waiting.id);
    expect(events.at(-1)!.event.type).toBe('job.expired');
  });
});
