// Cancel (queued and running), per-tenant isolation and the active-job cap, with a live worker.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KEYS, readEvents, startFarm, type Farm } from './support/farm.js';

// Real processes on a small shared machine: starting a worker can take a minute under load.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

type JobBody = { id: string; status: string; progress: { step: number; total: number }; outputs: unknown[] } & Record<string, unknown>;

// Long enough (seconds) that the cancels below always reach it mid-run; see maxSteps.
const LONG_STEPS = 200;
const SLOW = { prompt: 'a slow big square', width: 256, height: 256, steps: LONG_STEPS };

describe('cancel and tenants', () => {
  let farm: Farm;
  beforeAll(async () => {
    // One job at a time: a batching worker takes waiting jobs into its next batch (they show
    // running), and these tests need a job that stays queued behind the running one.
    farm = await startFarm({ apiEnv: { MAX_ACTIVE_JOBS_PER_TENANT: '3' }, workerEnv: { BATCH_MAX: '1' }, maxSteps: LONG_STEPS });
  });
  afterAll(() => farm?.close());

  const submit = async (body: unknown, key = KEYS.acme) => (await (await farm.call('POST', '/v1/jobs', { body, key })).json()) as JobBody;

  it('stops a running job at the next step and cancels a queued one at once', async () => {
    const running = await submit(SLOW);
    const queued = await submit({ prompt: 'waiting behind the slow one' });
    // Wait until the slow job has made progress, so the cancel hits it mid-run.
    await farm.waitForJob(running.id, (j) => (j as JobBody).progress.step >= 2);

    const cancelQueued = await farm.call('POST', `/v1/jobs/${queued.id}/cancel`);
    expect(cancelQueued.status).toBe(202);
    expect(((await cancelQueued.json()) as JobBody).status).toBe('canceled');

    const cancelRunning = await farm.call('POST', `/v1/jobs/${running.id}/cancel`);
    expect(cancelRunning.status).toBe(202);
    const stopped = (await farm.waitForJob(running.id, (j) => j.status !== 'running')) as JobBody;
    expect(stopped.status).toBe('canceled');
    expect(stopped.progress.step).toBeLessThan(LONG_STEPS);
    expect(stopped.outputs).toEqual([]);

    const events = await readEvents(farm, running.id);
    expect(events.events.at(-1)!.type).toBe('job.canceled');

    // The queued job never ran, and a finished job cannot be canceled again.
    const after = (await (await farm.call('GET', `/v1/jobs/${queued.id}`)).json()) as JobBody;
    expect(after).toMatchObject({ status: 'canceled', started_at: null });
    expect((await farm.call('POST', `/v1/jobs/${queued.id}/cancel`)).status).toBe(409);

    // The worker is free again: the next job runs.
    const next = await submit({ prompt: 'after the cancel' });
    expect((await farm.waitForJob(next.id, (j) => j.status === 'succeeded' || j.status === 'failed')).status).toBe('succeeded');
  });

  it("keeps tenants apart: another tenant's job is a 404 everywhere", async () => {
    const theirs = await submit({ prompt: 'globex only' }, KEYS.globex);
    for (const [method, route] of [
      ['GET', `/v1/jobs/${theirs.id}`],
      ['POST', `/v1/jobs/${theirs.id}/cancel`],
      ['GET', `/v1/jobs/${theirs.id}/events`],
    ] as const) {
      const res = await farm.call(method, route);
      expect(res.status, `${method} ${route}`).toBe(404);
      await res.body?.cancel();
    }
    const mine = (await (await farm.call('GET', '/v1/jobs?limit=100')).json()) as { data: JobBody[] };
    expect(mine.data.map((j) => j.id)).not.toContain(theirs.id);
    await farm.waitForJob(theirs.id, () => true);
  });

  it('answers 429 with Retry-After above the active-job cap, while another tenant still submits', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await farm.call('POST', '/v1/jobs', { body: SLOW });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as JobBody).id);
    }
    const over = await farm.call('POST', '/v1/jobs', { body: SLOW });
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await over.json()) as { code: string }).code).toBe('too_many_active_jobs');
    const other = await farm.call('POST', '/v1/jobs', { body: { prompt: 'globex is not capped by acme' }, key: KEYS.globex });
    expect(other.status).toBe(202);
    // Canceling frees the slots.
    for (const id of ids) await farm.call('POST', `/v1/jobs/${id}/cancel`);
    for (const id of ids) await farm.waitForJob(id, (j) => j.status === 'canceled');
    expect((await farm.call('POST', '/v1/jobs', { body: { prompt: 'room again' } })).status).toBe(202);
  });
});
