// The SDK against a running farm (API + a real worker process + Redis): what a SaaS backend
// integrating with flowfarm would see.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowfarmAdmin, FlowfarmClient, FlowfarmError, type JobEvent, type JobStage } from '@flowfarm/client';
import { startTestFarm, type TestFarm } from './test-farm.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
let farm: TestFarm;
// Kept so afterAll stops a farm whose start outlived a timed-out beforeAll.
let farmStarting: Promise<TestFarm> | undefined;
let client: FlowfarmClient;

beforeAll(async () => {
  farmStarting = startTestFarm({ apiEnv: { MAX_ACTIVE_JOBS_PER_TENANT: '1' } });
  farm = await farmStarting;
  client = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey });
}, 180_000);

afterAll(async () => {
  await farmStarting?.then((started) => started.close(), () => {});
});

describe('FlowfarmClient against a running farm', () => {
  it('submits, follows the events to the end and downloads a PNG', async () => {
    const queued = await client.submit({ prompt: 'a red circle on a blue background', width: 64, height: 64, steps: 4, seed: 11 });
    expect(queued.status).toBe('queued');
    const events: JobEvent[] = [];
    const job = await client.wait(queued.id, { timeoutMs: 60_000, onEvent: (event) => events.push(event) });
    expect(job.status).toBe('succeeded');
    expect(job.outputs).toHaveLength(1);
    expect(job.outputs[0]).toMatchObject({ width: 64, height: 64, seed: 11, content_type: 'image/png' });
    const progress = events.filter((event) => event.type === 'job.progress');
    expect(progress.at(-1)?.progress).toEqual({ step: 4, total: 4 });
    expect(events.at(-1)?.type).toBe('job.succeeded');
    const bytes = await client.download(job.outputs[0]);
    expect([...bytes.slice(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(bytes.length).toBe(job.outputs[0].bytes);
    const listed = await client.list({ limit: 5 });
    expect(listed.data.map((j) => j.id)).toContain(job.id);
  });

  it('submits a prompt chain (stages) and gets one job with every stage image, progress across the stages', async () => {
    const stages: JobStage[] = [{}, { prompt: 'a red circle on a yellow background', strength: 0.5 }];
    const queued = await client.submit({ prompt: 'a red circle on a blue background', width: 64, height: 64, steps: 4, seed: 21, stages });
    expect(queued.progress).toEqual({ step: 0, total: 4 + 2 });
    const job = await client.wait(queued.id, { timeoutMs: 120_000 });
    expect(job.status).toBe('succeeded');
    expect(job.outputs.map((o) => o.stage)).toEqual([0, 1]);
    expect(job.input.stages?.[1]).toEqual({ prompt: 'a red circle on a yellow background', steps: 4, seed: 22, strength: 0.5 });
    const last = await client.download(job.outputs.at(-1)!);
    expect([...last.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    // every stage's image carries its own signed record that leads back to the job, the first
    // stage's as well as the last (the watermark is checked in cli-trust: on a flat 64x64 image
    // its detection depends on the payload, which comes from the random job id)
    const first = await client.download(job.outputs[0]!);
    expect(await client.verify(first)).toMatchObject({ status: 'valid', manifest: { job_id: queued.id, image_index: 0 } });
  });

  it('replays the whole event history in order through events(), and resumes after an id', async () => {
    const queued = await client.submit({ prompt: 'a green square', steps: 3, seed: 5 });
    const all: JobEvent[] = [];
    for await (const event of client.events(queued.id)) all.push(event);
    expect(all[0]?.type).toBe('job.queued');
    expect(all.at(-1)?.type).toBe('job.succeeded');
    const resumed: JobEvent[] = [];
    for await (const event of client.events(queued.id, { lastEventId: all[1]!.event_id })) resumed.push(event);
    expect(resumed.map((e) => e.event_id)).toEqual(all.slice(2).map((e) => e.event_id));
  });

  it('throws a typed FlowfarmError with the problem details on 422', async () => {
    const error = await client.submit({ prompt: 'a circle', width: 72 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FlowfarmError);
    const typed = error as FlowfarmError;
    expect(typed.status).toBe(422);
    expect(typed.code).toBe('validation_failed');
    expect(typed.problem?.errors?.map((field) => field.path)).toContain('width');

    const unknown = (await client.submit({ prompt: 'a circle', model: 'no-such-model' }).catch((err: unknown) => err)) as FlowfarmError;
    expect(unknown.code).toBe('unknown_model');
    expect(unknown.message).toContain(farm.model);
  });

  it('reports an unknown key and an unreachable farm as FlowfarmErrors a program can tell apart', async () => {
    const wrongKey = new FlowfarmClient({ baseUrl: farm.url, apiKey: 'not-a-key' });
    await expect(wrongKey.models()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    const nowhere = new FlowfarmClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', retry: { maxRetries: 0 } });
    await expect(nowhere.models()).rejects.toMatchObject({ status: 0, code: 'unreachable' });
  });

  // Last: it stops the worker so the first job stays queued and the tenant stays at its limit.
  it('retries a 429 after Retry-After and then gets the job accepted', async () => {
    await farm.stopWorker();
    const noRetry = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey, retry: { maxRetries: 0 } });
    const blocking = await noRetry.submit({ prompt: 'a blue triangle' });
    await expect(noRetry.submit({ prompt: 'a yellow circle' })).rejects.toMatchObject({ status: 429, code: 'too_many_active_jobs' });

    // A real fetch that records each answer and frees the tenant's slot after the first 429,
    // as a finishing job would.
    const statuses: number[] = [];
    const retryAfter: (string | null)[] = [];
    const recordingFetch = async (input: string, init?: RequestInit) => {
      const response = await fetch(input, init);
      if (init?.method === 'POST' && input.endsWith('/v1/jobs')) {
        statuses.push(response.status);
        retryAfter.push(response.headers.get('retry-after'));
        if (response.status === 429) await noRetry.cancel(blocking.id);
      }
      return response;
    };
    const retrying = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey, fetch: recordingFetch, retry: { maxRetries: 2, maxDelayMs: 1000 } });
    const accepted = await retrying.submit({ prompt: 'a yellow circle' });
    expect(statuses).toEqual([429, 202]);
    expect(Number(retryAfter[0])).toBeGreaterThan(0);
    expect(accepted.status).toBe('queued');
    await noRetry.cancel(accepted.id);
  });

  // Runs after the worker was stopped above, so submitted jobs stay waiting.
  it('FlowfarmAdmin lists waiting jobs across tenants, cancels one and retries it as a new job', async () => {
    const admin = new FlowfarmAdmin({ baseUrl: farm.url, adminKey: farm.adminKey });
    const waiting = await client.submit({ prompt: 'a white circle', seed: 99 });
    const queues = await admin.queues();
    expect(queues).toContainEqual(expect.objectContaining({ model: farm.model, waiting: 1, active: 0 }));
    expect(queues.find((q) => q.model === farm.model)?.oldest_wait_seconds).toBeGreaterThanOrEqual(0);
    expect(await admin.jobs('waiting')).toContainEqual(expect.objectContaining({ id: waiting.id, tenant: farm.tenant, prompt: 'a white circle', status: 'queued' }));

    expect(await admin.cancel(waiting.id)).toMatchObject({ id: waiting.id, status: 'canceled' });
    const retried = await admin.retry(waiting.id);
    expect(retried.id).not.toBe(waiting.id);
    expect(retried).toMatchObject({ status: 'queued', tenant: farm.tenant, retry_of: waiting.id });
    expect((await client.get(retried.id)).input).toEqual((await client.get(waiting.id)).input);
    await admin.cancel(retried.id);

    await expect(new FlowfarmAdmin({ baseUrl: farm.url, adminKey: farm.apiKey }).queues()).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });
});
