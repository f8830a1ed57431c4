// Fair scheduling through the API with real worker processes: fair share and weights between
// tenants, a lone tenant on every worker, priorities within a tenant, start deadlines (expired +
// webhook), quotas (429 shape, release) and usage metering through a worker SIGKILL.
import { Queue, type ConnectionOptions } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { webhookNotifierFor } from '@flowfarm/api';
import { renderQueueName } from '@flowfarm/queue';
import { startReceiver, waitUntil, type Receiver } from '../webhooks/receiver.js';
import { KEYS, MODEL, readEvents, startFarm, type Farm } from './support/farm.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

type JobBody = { id: string; status: string; started_at: string | null; finished_at: string | null; created_at: string; error: { code: string } | null } & Record<string, unknown>;
const QUICK = { prompt: 'a red circle on a blue background', width: 64, height: 64, steps: 4 };

async function submit(farm: Farm, key: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<JobBody> {
  const res = await farm.call('POST', '/v1/jobs', { key, body, headers });
  expect(res.status, await res.clone().text()).toBe(202);
  return (await res.json()) as JobBody;
}

async function finished(farm: Farm, ids: string[], key = KEYS.acme): Promise<JobBody[]> {
  const out: JobBody[] = [];
  for (const id of ids) {
    for (;;) {
      const job = (await (await farm.call('GET', `/v1/jobs/${id}`, { key })).json()) as JobBody;
      if (job.finished_at) {
        out.push(job);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return out;
}

/** Holds the model queue while `submitAll` runs, so all its jobs compete from the start. */
async function withQueuePaused<T>(farm: Farm, submitAll: () => Promise<T>): Promise<T> {
  const queue = new Queue(renderQueueName(MODEL), { connection: farm.redis as unknown as ConnectionOptions, prefix: farm.prefix });
  await queue.pause();
  try {
    return await submitAll();
  } finally {
    await queue.resume();
    await queue.close();
  }
}


describe('fair scheduling with two workers', () => {
  let farm: Farm;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    farm = await startFarm({
      workers: 2,
      apiEnv: { MAX_ACTIVE_JOBS_PER_TENANT: '1000', DEADLINE_SWEEP_INTERVAL_MS: '200', WEBHOOK_ALLOW_PRIVATE: 'true' },
      apiOptions: { notifier: webhookNotifierFor },
    });
    await farm.call('PUT', '/v1/admin/tenants/acme', { key: KEYS.admin, body: { max_priority: 'high' } });
  });
  afterAll(async () => {
    await farm?.close();
    await receiver?.stop();
  });

  // While the queue holds, each job's queue_position is the order workers will take them in.
  const positions = async (jobs: Array<{ id: string; key: string }>) =>
    Promise.all(jobs.map(async ({ id, key }) => ((await (await farm.call('GET', `/v1/jobs/${id}`, { key })).json()) as { queue_position: number }).queue_position));
  const inFirst = (ranked: number[], n: number) => ranked.filter((p) => p < n).length;

  it('shares the farm between two flooding tenants, 1:1 and then 3:1 by weight', async () => {
    const flood = (key: string, count: number) => Promise.all(Array.from({ length: count }, (_, i) => submit(farm, key, { ...QUICK, seed: i })));
    const [a, b] = await withQueuePaused(farm, async () => {
      const [a, b] = await Promise.all([flood(KEYS.acme, 16), flood(KEYS.globex, 16)]);
      expect(inFirst(await positions(a.map((j) => ({ id: j.id, key: KEYS.acme }))), 16)).toBe(8);
      return [a, b];
    });
    const ran = [...(await finished(farm, a.map((j) => j.id))), ...(await finished(farm, b.map((j) => j.id), KEYS.globex))];
    // every job ran to its end (output moderation may stop one; that is not a scheduling matter)
    expect(ran.filter((j) => j.status !== 'succeeded' && j.status !== 'moderated').map((j) => [j.status, j.error])).toEqual([]);

    expect((await farm.call('PUT', '/v1/admin/tenants/acme', { key: KEYS.admin, body: { weight: 3 } })).status).toBe(200);
    await withQueuePaused(farm, async () => {
      const [a3] = await Promise.all([flood(KEYS.acme, 30), flood(KEYS.globex, 30)]);
      const fromA = inFirst(await positions(a3.map((j) => ({ id: j.id, key: KEYS.acme }))), 24);
      expect(fromA).toBeGreaterThanOrEqual(17); // 18 of 24 at exactly 3:1
      expect(fromA).toBeLessThanOrEqual(19);
    });
    await farm.call('PUT', '/v1/admin/tenants/acme', { key: KEYS.admin, body: { weight: 1 } });
  });

  it('gives a lone tenant every worker', async () => {
    const jobs = await Promise.all(Array.from({ length: 6 }, (_, i) => submit(farm, KEYS.globex, { ...QUICK, width: 256, height: 256, steps: 40, seed: i })));
    const done = await finished(farm, jobs.map((j) => j.id), KEYS.globex);
    const overlaps = done.some((x) => done.some((y) => x !== y && Date.parse(x.started_at!) < Date.parse(y.finished_at!) && Date.parse(y.started_at!) < Date.parse(x.finished_at!)));
    expect(overlaps).toBe(true);
  });

  it("starts a quiet tenant's job on a busy farm at once, beside the renders in progress, not after them", async () => {
    const jumps: string[] = [];
    const listener = farm.redis.duplicate();
    listener.on('message', (_channel: string, message: string) => jumps.push(message));
    await listener.subscribe(`${farm.prefix}:fair-jump`);
    try {
      // acme keeps both workers busy with slow renders and more waiting behind them
      const slow = await Promise.all(Array.from({ length: 12 }, (_, i) => submit(farm, KEYS.acme, { ...QUICK, width: 256, height: 256, steps: 20, seed: 100 + i })));
      await waitUntil(async () => {
        const views = await Promise.all(slow.map(async (j) => (await (await farm.call('GET', `/v1/jobs/${j.id}`, { key: KEYS.acme })).json()) as JobBody));
        return views.filter((v) => v.status === 'running').length >= 2;
      }, 'two slow renders running', 60_000);
      const quiet = await submit(farm, KEYS.globex, { ...QUICK, seed: 7 });
      const backlogged = await submit(farm, KEYS.acme, { ...QUICK, seed: 8 });
      const [done] = await finished(farm, [quiet.id], KEYS.globex);
      const acme = await finished(farm, [...slow, backlogged].map((j) => j.id));
      // announced to the workers as a jump (the backlogged tenant's job is not)
      expect(jumps).toContain(`${MODEL} ${quiet.id}`);
      expect(jumps.some((m) => m.endsWith(backlogged.id))).toBe(false);
      // it began while the renders that were running when it came were still running
      const runningThen = acme.filter((j) => Date.parse(j.started_at!) <= Date.parse(quiet.created_at));
      expect(runningThen.length).toBeGreaterThanOrEqual(2);
      for (const j of runningThen) expect(Date.parse(done.started_at!)).toBeLessThan(Date.parse(j.finished_at!));
    } finally {
      listener.disconnect();
    }
  });

  it("runs a tenant's high jobs before its low ones, and refuses a priority above the tenant's cap", async () => {
    const { lows, highs } = await withQueuePaused(farm, async () => {
      const lows = [];
      for (let i = 0; i < 6; i++) lows.push(await submit(farm, KEYS.acme, { ...QUICK, seed: i, priority: 'low' }));
      const others = [];
      for (let i = 0; i < 6; i++) others.push(await submit(farm, KEYS.globex, { ...QUICK, seed: i }));
      const highs = [];
      for (let i = 0; i < 3; i++) highs.push(await submit(farm, KEYS.acme, { ...QUICK, seed: 10 + i, priority: 'high' }));
      const highAt = await positions(highs.map((j) => ({ id: j.id, key: KEYS.acme })));
      const lowAt = await positions(lows.map((j) => ({ id: j.id, key: KEYS.acme })));
      // acme's highs take its first slots; globex keeps every other slot
      expect(Math.max(...highAt)).toBeLessThan(Math.min(...lowAt));
      expect(inFirst(await positions(others.map((j) => ({ id: j.id, key: KEYS.globex }))), 12)).toBe(6);
      return { lows, highs };
    });
    expect((await finished(farm, [...lows, ...highs].map((j) => j.id))).every((j) => j.status === 'succeeded' || j.status === 'moderated')).toBe(true);

    const refused = await farm.call('POST', '/v1/jobs', { key: KEYS.globex, body: { ...QUICK, priority: 'high' } });
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ code: 'validation_failed', errors: [{ path: 'priority', code: 'priority_not_allowed' }] });
  });

  it('ends a job not started in time as expired, with its webhook, even with no free worker', async () => {
    const { expiring, header } = await withQueuePaused(farm, async () => {
      const expiring = await submit(farm, KEYS.acme, { ...QUICK, start_timeout: 1, webhook: { url: receiver.url, events: ['job.expired'] } });
      const header = await submit(farm, KEYS.acme, QUICK, { 'Cancel-After': '5s' });
      const expired = await farm.waitForJob(expiring.id, (j) => j.status !== 'queued', 30_000);
      expect(expired).toMatchObject({ status: 'expired', started_at: null, error: { code: 'start_timeout' } });
      const late = await farm.waitForJob(header.id, (j) => j.status !== 'queued', 30_000);
      expect(late).toMatchObject({ status: 'expired', started_at: null });
      return { expiring, header };
    });
    // its queue token is gone: no worker renders it after the queue resumes
    const queue = new Queue(renderQueueName(MODEL), { connection: farm.redis as unknown as ConnectionOptions, prefix: farm.prefix });
    expect(await queue.getJob(expiring.id)).toBeUndefined();
    expect(await queue.getJob(header.id)).toBeUndefined();
    await queue.close();
    const { events } = await readEvents(farm, expiring.id);
    expect(events.at(-1)!.type).toBe('job.expired');
    await waitUntil(() => receiver.requests.some((r) => r.body.includes(expiring.id)), 'the job.expired webhook');
    const hook = JSON.parse(receiver.requests.find((r) => r.body.includes(expiring.id))!.body) as { type: string; data: { status: string } };
    expect(hook).toMatchObject({ type: 'job.expired', data: { status: 'expired' } });
    const bad = await farm.call('POST', '/v1/jobs', { body: QUICK, headers: { 'Cancel-After': '2s' } });
    expect(bad.status).toBe(422);
  });

  it('answers 429 quota_exceeded with the limit, the usage and the reset, and frees what a canceled job reserved', async () => {
    const created = await farm.call('POST', '/v1/admin/keys', { key: KEYS.admin, body: { tenant: 'initech' } });
    const key = ((await created.json()) as { key: string }).key;
    await farm.call('PUT', '/v1/admin/tenants/initech', { key: KEYS.admin, body: { quotas: { daily_images: 3 } } });
    await withQueuePaused(farm, async () => {
      const first = await submit(farm, key, { ...QUICK, num_images: 2 });
      await submit(farm, key, QUICK);
      const over = await farm.call('POST', '/v1/jobs', { key, body: QUICK });
      expect(over.status).toBe(429);
      expect(over.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const now = new Date();
      const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
      const retryAfter = Number(over.headers.get('retry-after'));
      expect(Math.abs(retryAfter - (midnight - Date.now()) / 1000)).toBeLessThan(60);
      expect(await over.json()).toMatchObject({ status: 429, code: 'quota_exceeded', quota: 'daily_images', limit: 3, used: 3, requested: 1, resets_at: new Date(midnight).toISOString() });
      // a canceled job does not count: its two images come back
      expect((await farm.call('POST', `/v1/jobs/${first.id}/cancel`, { key })).status).toBe(202);
    });
    const last = await submit(farm, key, QUICK);
    await finished(farm, [last.id], key);
    const usage = (await (await farm.call('GET', '/v1/usage', { key })).json()) as Record<string, unknown>;
    expect(usage).toMatchObject({ tenant: 'initech', quotas: { daily_images: 3 }, reserved: { day: { images: 2 } } });
  });
});

describe('usage metering', () => {
  const LONG_STEPS = 200;
  let farm: Farm;
  beforeAll(async () => {
    farm = await startFarm({ workers: 2, workerEnv: { LOCK_DURATION_MS: '1500', STALLED_INTERVAL_MS: '750' }, maxSteps: LONG_STEPS });
  });
  afterAll(() => farm?.close());

  it('counts exactly the rendered jobs through a worker SIGKILL and its retry', async () => {
    const slow = await submit(farm, KEYS.acme, { prompt: 'a slow big circle', width: 256, height: 256, steps: LONG_STEPS, num_images: 2 });
    const quick = await Promise.all(Array.from({ length: 5 }, (_, i) => submit(farm, KEYS.acme, { ...QUICK, seed: i })));
    await farm.waitForJob(slow.id, (j) => (j as unknown as { progress: { step: number } }).progress.step >= 3);
    const holder = await farm.holderOf(slow.id);
    holder.child.kill('SIGKILL');
    await holder.exited;
    await farm.startWorker();
    const jobs = await finished(farm, [slow.id, ...quick.map((j) => j.id)]);
    // usage counts the jobs that succeeded (output moderation may stop one of the quick ones)
    expect(jobs[0]!.status).toBe('succeeded');
    expect(jobs.filter((j) => j.status !== 'succeeded' && j.status !== 'moderated')).toEqual([]);
    const quickDone = jobs.slice(1).filter((j) => j.status === 'succeeded').length;
    const { events } = await readEvents(farm, slow.id);
    expect(events.filter((e) => e.type === 'job.started').length).toBeGreaterThanOrEqual(2); // it ran again after the kill

    const report = (await (await farm.call('GET', '/v1/usage?group_by=model')).json()) as { data: Array<Record<string, number | string>>; totals: Record<string, number> };
    const expectedPixelSteps = 256 * 256 * LONG_STEPS * 2 + quickDone * 64 * 64 * 4;
    expect(report.data).toEqual([expect.objectContaining({ model: MODEL, jobs: 1 + quickDone, images: 2 + quickDone })]);
    expect(report.totals.megapixel_steps).toBeCloseTo(expectedPixelSteps / 1e6, 6);
    expect(report.totals.gpu_seconds).toBeGreaterThan(0);

    const csv = await (await farm.call('GET', '/v1/usage?group_by=model', { headers: { Accept: 'text/csv' } })).text();
    expect(csv.split('\r\n')[0]).toBe('model,jobs,images,megapixel_steps,gpu_seconds');
    expect(csv.split('\r\n')[1]).toMatch(new RegExp(`^${MODEL},${1 + quickDone},${2 + quickDone},`));
    const admin = (await (await farm.call('GET', '/v1/admin/usage?group_by=model', { key: KEYS.admin })).json()) as { data: unknown[] };
    expect(admin.data).toEqual([expect.objectContaining({ model: MODEL, tenant: 'acme', jobs: 1 + quickDone, images: 2 + quickDone })]);
  });
});
