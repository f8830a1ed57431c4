// Transient failures retried then failed (never succeeded without files), retention removing
// finished jobs with their files, and same-shape jobs batched on one worker.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { progressSteps, readEvents, startFarm, type Farm } from './support/farm.js';

// Real processes on a small shared machine: starting a worker can take a minute under load.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

type JobBody = { id: string; status: string; error: { code: string; message: string } | null; outputs: Array<{ url: string; seed: number; bytes: number }> } & Record<string, unknown>;

let farm: Farm | undefined;
afterEach(async () => {
  await farm?.close();
  farm = undefined;
});

const submit = async (f: Farm, body: unknown) => (await (await f.call('POST', '/v1/jobs', { body })).json()) as JobBody;
const ended = (j: { status: string }) => ['succeeded', 'failed', 'canceled'].includes(j.status);

describe('retries, retention and batching', () => {
  it('retries a job whose upload fails and fails it after the last attempt, without outputs', async () => {
    farm = await startFarm({ storage: 's3', apiEnv: { JOB_ATTEMPTS: '2', JOB_BACKOFF_MS: '200' } });
    await farm.s3!.close(); // the storage goes away: every upload fails
    const job = await submit(farm, { prompt: 'nowhere to store this' });
    const done = (await farm.waitForJob(job.id, ended)) as JobBody;
    expect(done.status).toBe('failed');
    expect(done.outputs).toEqual([]);
    expect(done.error?.code).toBe('render_failed');
    const types = (await readEvents(farm, job.id)).events.map((e) => e.type).filter((t) => t !== 'job.progress');
    expect(types).toEqual(['job.queued', 'job.started', 'job.queued', 'job.started', 'job.failed']);
  }, 180_000);

  it('removes finished jobs and their files after the retention time', async () => {
    farm = await startFarm({ apiEnv: { JOB_RETENTION_SECONDS: '1' }, workerEnv: { JOB_RETENTION_SECONDS: '1', RETENTION_SWEEP_INTERVAL_MS: '200' } });
    const job = await submit(farm, { prompt: 'short-lived circle' });
    const done = (await farm.waitForJob(job.id, ended)) as JobBody;
    expect(done.status).toBe('succeeded');
    expect((await fetch(done.outputs[0].url)).status).toBe(200);
    const deadline = Date.now() + 30_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      status = (await farm.call('GET', `/v1/jobs/${job.id}`)).status;
    }
    expect(status).toBe(404);
    expect((await fetch(done.outputs[0].url)).status).toBe(404);
    const list = (await (await farm.call('GET', '/v1/jobs')).json()) as { data: JobBody[] };
    expect(list.data.map((j) => j.id)).not.toContain(job.id);
  }, 180_000);

  it('runs same-shape jobs waiting together as one batch, each with its own images and events', async () => {
    // The first job waits up to 2 s for companions of the same shape; the others arrive meanwhile.
    // PROGRESS_INTERVAL_MS=0: every step as an event (by default at most one per 200 ms)
    farm = await startFarm({ workerEnv: { BATCH_MAX: '4', BATCH_WINDOW_MS: '2000', PROGRESS_INTERVAL_MS: '0' } });
    const jobs = await Promise.all([1, 2, 3, 4].map((seed) => submit(farm!, { prompt: `circle number ${seed}`, seed, width: 128, height: 128, steps: 8 })));
    const done = [] as JobBody[];
    for (const job of jobs) done.push((await farm.waitForJob(job.id, ended)) as JobBody);
    expect(done.map((j) => j.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(done.map((j) => j.outputs[0].seed)).toEqual([1, 2, 3, 4]);
    const bytes = await Promise.all(done.map(async (j) => Buffer.from(await (await fetch(j.outputs[0].url)).arrayBuffer()).toString('base64')));
    expect(new Set(bytes).size).toBe(4);
    // They ran at the same time: every job started before any finished.
    const starts = done.map((j) => Date.parse(j.started_at as string));
    const finishes = done.map((j) => Date.parse(j.finished_at as string));
    expect(Math.max(...starts)).toBeLessThanOrEqual(Math.min(...finishes));
    for (const job of jobs) {
      const steps = (await readEvents(farm, job.id)).events.filter((e) => e.type === 'job.progress').map((e) => (e.data.progress as { step: number }).step);
      expect(steps).toEqual(Array.from({ length: progressSteps(8, 128, 128) }, (_, i) => i + 1));
    }
  }, 180_000);
});
