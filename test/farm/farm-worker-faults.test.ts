// Worker faults with real processes: SIGKILL mid-job, SIGTERM drain, lock renewal during long renders.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressSteps, readEvents, startFarm, type Farm } from './support/farm.js';

// Real processes on a small shared machine: starting a worker can take a minute under load.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

type JobBody = { id: string; status: string; progress: { step: number; total: number }; outputs: Array<{ url: string }> } & Record<string, unknown>;

// Seconds per job on any machine: the shipped model renders 50 steps at 256x256 in well under
// a second, so these farms serve it with a higher steps cap (startFarm's maxSteps).
const LONG_STEPS = 200;
const SLOW = { prompt: 'a slow big circle', width: 256, height: 256, steps: LONG_STEPS };
// Four images at the largest size: several times longer than the short locks below.
const SLOWER = { ...SLOW, num_images: 4 };
// Short locks so a dead worker's job is recovered in seconds.
const FAST_RECOVERY = { LOCK_DURATION_MS: '1500', STALLED_INTERVAL_MS: '750' };

let farm: Farm | undefined;
afterEach(async () => {
  await farm?.close();
  farm = undefined;
});

async function submit(f: Farm, body: unknown): Promise<JobBody> {
  return (await (await f.call('POST', '/v1/jobs', { body })).json()) as JobBody;
}

describe('worker faults', () => {
  it('finishes a job on a second worker when the first is killed with SIGKILL mid-render', async () => {
    farm = await startFarm({ workers: 2, workerEnv: FAST_RECOVERY, maxSteps: LONG_STEPS });
    const job = await submit(farm, SLOWER);
    await farm.waitForJob(job.id, (j) => (j as JobBody).progress.step >= 3);
    const first = await farm.holderOf(job.id);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    const done = (await farm.waitForJob(job.id, (j) => j.status === 'succeeded' || j.status === 'failed')) as JobBody;
    expect(done.status).toBe('succeeded');
    expect((await fetch(done.outputs[0].url)).status).toBe(200);
    const { events } = await readEvents(farm, job.id);
    expect(events.filter((e) => e.type === 'job.started')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'job.succeeded')).toHaveLength(1);
  });

  it('with no worker left, the API hands a killed worker\'s job back: queued again, and a cancel ends it at once', async () => {
    // the API runs the takeover chore too (workers and API processes share its lock)
    farm = await startFarm({ workers: 1, apiEnv: { TAKEOVER_INTERVAL_MS: '300' }, maxSteps: LONG_STEPS });
    const job = await submit(farm, SLOW);
    await farm.waitForJob(job.id, (j) => (j as JobBody).progress.step >= 2);
    const [worker] = farm.workers;
    worker.child.kill('SIGKILL');
    expect((await worker.exited).signal).toBe('SIGKILL');
    // its heartbeat expires; no worker is alive, the API puts the job back
    const back = (await farm.waitForJob(job.id, (j) => j.status === 'queued')) as JobBody;
    expect(back.started_at).not.toBeNull();
    // nobody runs it: a cancel ends it now, not at a next step no worker would reach
    expect((await farm.call('POST', `/v1/jobs/${job.id}/cancel`)).status).toBe(202);
    expect(((await (await farm.call('GET', `/v1/jobs/${job.id}`)).json()) as JobBody).status).toBe('canceled');
    const { events } = await readEvents(farm, job.id);
    const types = events.map((e) => e.type).filter((t) => t !== 'job.progress');
    expect(types).toEqual(['job.queued', 'job.started', 'job.queued', 'job.canceled']);
    expect(events.find((e, i) => i > 0 && e.type === 'job.queued')?.data.error).toMatchObject({ code: 'worker_lost' });
  });

  it('on SIGTERM finishes the running job, takes no new one, and exits 0', async () => {
    // BATCH_MAX=1: a batching worker would already hold the second job for its next batch
    farm = await startFarm({ workers: 1, workerEnv: { SHUTDOWN_TIMEOUT_MS: '60000', BATCH_MAX: '1' }, maxSteps: LONG_STEPS });
    const [worker] = farm.workers;
    const running = await submit(farm, SLOW);
    const waiting = await submit(farm, { prompt: 'queued behind the slow one' });
    await farm.waitForJob(running.id, (j) => (j as JobBody).progress.step >= 2);
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;
    expect(exit.code).toBe(0);

    const finished = (await (await farm.call('GET', `/v1/jobs/${running.id}`)).json()) as JobBody;
    expect(finished.status).toBe('succeeded');
    expect(finished.progress).toEqual({ step: progressSteps(LONG_STEPS, 256, 256), total: progressSteps(LONG_STEPS, 256, 256) });
    const left = (await (await farm.call('GET', `/v1/jobs/${waiting.id}`)).json()) as JobBody;
    expect(left).toMatchObject({ status: 'queued', started_at: null });
    // The drained worker left the farm; a new one picks the waiting job up.
    const models = (await (await farm.call('GET', '/v1/models')).json()) as { data: unknown[] };
    expect(models.data).toEqual([]);
    await farm.startWorker();
    expect((await farm.waitForJob(waiting.id, (j) => j.status === 'succeeded')).status).toBe('succeeded');
  });

  it('keeps the lock of a render that runs longer than the lock duration (no second run)', async () => {
    // every step as an event (by default progress is written at most every 200 ms)
    farm = await startFarm({ workers: 2, workerEnv: { ...FAST_RECOVERY, PROGRESS_INTERVAL_MS: '0' }, maxSteps: LONG_STEPS });
    const job = await submit(farm, SLOWER);
    const done = await farm.waitForJob(job.id, (j) => j.status === 'succeeded' || j.status === 'failed');
    expect(done.status).toBe('succeeded');
    const { events } = await readEvents(farm, job.id);
    // A lost lock would show as a second start on the other worker.
    expect(events.filter((e) => e.type === 'job.started')).toHaveLength(1);
    expect(new Date(done.finished_at as string).getTime() - new Date(done.started_at as string).getTime()).toBeGreaterThan(1500);
    const steps = events.filter((e) => e.type === 'job.progress').map((e) => (e.data.progress as { step: number }).step);
    expect(steps).toEqual(Array.from({ length: progressSteps(LONG_STEPS, 256, 256) }, (_, i) => i + 1));
  });
});
