// Submit → worker → stored PNG → succeeded, with both storage drivers; sync wait; SSE.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodePngRgb } from '@flowfarm/pipeline';
import { KEYS, progressSteps, readEvents, startFarm, type Farm } from './support/farm.js';

// Real processes on a small shared machine: starting a worker can take a minute under load.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];

type JobBody = { id: string; status: string; outputs: Array<{ url: string; bytes: number; width: number; height: number; content_type: string }> } & Record<string, unknown>;

describe.each(['local', 's3'] as const)('a job end to end with %s storage', (storage) => {
  let farm: Farm;
  beforeAll(async () => {
    farm = await startFarm({ storage });
  });
  afterAll(() => farm?.close());

  it('renders, stores and serves the PNG at the URL the job shows', async () => {
    const submitted = await farm.call('POST', '/v1/jobs', { body: { prompt: 'a red circle on a blue background', width: 64, height: 64, seed: 7, num_images: 2 } });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as JobBody;
    const job = (await farm.waitForJob(id, (j) => j.status !== 'queued' && j.status !== 'running')) as JobBody;
    expect(job.status).toBe('succeeded');
    expect(job.progress).toEqual({ step: 4, total: 4 });
    expect(job.outputs).toHaveLength(2);
    for (const output of job.outputs) {
      expect(output).toMatchObject({ content_type: 'image/png', width: 64, height: 64 });
      const res = await fetch(output.url);
      expect(res.status).toBe(200);
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect([...bytes.slice(0, 4)]).toEqual(PNG_MAGIC);
      expect(bytes.byteLength).toBe(output.bytes);
      expect(decodePngRgb(bytes)).toMatchObject({ width: 64, height: 64 });
    }
    if (storage === 'local') {
      const url = new URL(job.outputs[0].url);
      const tampered = new URL(url);
      tampered.pathname = tampered.pathname.replace('/0.png', '/1.png');
      expect((await fetch(tampered)).status).toBe(403);
      const expired = new URL(url);
      expired.searchParams.set('expires', '1000');
      expect((await fetch(expired)).status).toBe(403);
      expect((await fetch(`${url.origin}${url.pathname}`)).status).toBe(403);
    } else {
      expect(job.outputs[0].url).toContain(farm.s3!.endpoint);
    }
  });

  it('holds the request with Prefer: wait and answers 200 with the finished job', async () => {
    const res = await farm.call('POST', '/v1/jobs', { body: { prompt: 'a green square' }, headers: { Prefer: 'wait=30' } });
    expect(res.status).toBe(200);
    const job = (await res.json()) as JobBody;
    expect(job.status).toBe('succeeded');
    expect(job.outputs).toHaveLength(1);
  });
});

describe('event stream and idempotency with a live worker', () => {
  let farm: Farm;
  beforeAll(async () => {
    // every step as an event (by default progress is written at most every 200 ms)
    // output moderation is on for the moderated-job test below; the other jobs here use fixed
    // seeds, so the stand-in classifier's rare false positive cannot end one as moderated
    farm = await startFarm({ workerEnv: { PROGRESS_INTERVAL_MS: '0', OUTPUT_MODERATION: 'true' } });
  });
  afterAll(() => farm?.close());

  it('streams queued, started, each step and succeeded in order, then resumes after any event without gaps', async () => {
    const res = await farm.call('POST', '/v1/jobs', { body: { prompt: 'a yellow triangle', steps: 6, seed: 1 } });
    const { id } = (await res.json()) as JobBody;
    const full = await readEvents(farm, id);
    expect(full.status).toBe(200);
    expect(full.contentType).toContain('text/event-stream');
    const types = full.events.map((e) => e.type);
    expect(types).toEqual(['job.queued', 'job.started', ...Array(6).fill('job.progress'), 'job.succeeded']);
    expect(full.events.filter((e) => e.type === 'job.progress').map((e) => (e.data.progress as { step: number }).step)).toEqual([1, 2, 3, 4, 5, 6]);
    const last = full.events.at(-1)!;
    expect((last.data.job as JobBody).outputs).toHaveLength(1);

    const resumed = await readEvents(farm, id, { lastEventId: full.events[3].id });
    expect(resumed.events.map((e) => e.id)).toEqual(full.events.slice(4).map((e) => e.id));
  });

  it('resumes a stream that broke mid-job and still sees every later event once', async () => {
    const res = await farm.call('POST', '/v1/jobs', { body: { prompt: 'a big slow circle', width: 256, height: 256, steps: 30, seed: 1 } });
    const { id } = (await res.json()) as JobBody;
    const first = await readEvents(farm, id, { stopAfter: 4 });
    expect(first.events.map((e) => e.type).slice(0, 2)).toEqual(['job.queued', 'job.started']);
    const rest = await readEvents(farm, id, { lastEventId: first.events.at(-1)!.id });
    const all = [...first.events, ...rest.events];
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all.filter((e) => e.type === 'job.progress').map((e) => (e.data.progress as { step: number }).step)).toEqual(Array.from({ length: progressSteps(30, 256, 256) }, (_, i) => i + 1));
    expect(all.at(-1)!.type).toBe('job.succeeded');
  });

  it('runs a job once for a repeated Idempotency-Key', async () => {
    const body = { prompt: 'idempotent circle', seed: 3 };
    const headers = { 'Idempotency-Key': 'order-1234' };
    const a = (await (await farm.call('POST', '/v1/jobs', { body, headers })).json()) as JobBody;
    await farm.waitForJob(a.id, (j) => j.status === 'succeeded');
    const b = await farm.call('POST', '/v1/jobs', { body, headers });
    expect(b.status).toBe(202);
    const again = (await b.json()) as JobBody;
    expect(again.id).toBe(a.id);
    expect(again.status).toBe('succeeded');
    const list = (await (await farm.call('GET', '/v1/jobs?limit=100')).json()) as { data: JobBody[] };
    expect(list.data.filter((j) => j.input && (j.input as { prompt: string }).prompt === 'idempotent circle')).toHaveLength(1);
  });

  it("ends a job whose render the model's output check flags as moderated, storing nothing", async () => {
    // the shipped classifier's stand-in policy: no red triangles (models/tiny-shapes model.json `moderation`)
    const submitted = await farm.call('POST', '/v1/jobs', { body: { prompt: 'a large red triangle in the center on a blue background', seed: 3 } });
    const { id } = (await submitted.json()) as JobBody;
    const job = (await farm.waitForJob(id, (j) => j.status !== 'queued' && j.status !== 'running')) as JobBody & { moderation: unknown };
    expect(job.status).toBe('moderated');
    expect(job.moderation).toEqual({ stage: 'output', reason: 'red_triangle' });
    expect(job.outputs).toEqual([]);
    const types = (await readEvents(farm, id)).events.map((e) => e.type);
    expect(types.at(-1)).toBe('job.moderated');
    expect(types).not.toContain('job.succeeded');
    // the audit log has the submit (allowed) and the output check's verdict for the job
    const audit = (await (await farm.call('GET', '/v1/admin/audit?tenant=acme&limit=100', { key: KEYS.admin })).json()) as { data: Array<{ job_id: string; outcome: string; stage?: string; reason?: string }> };
    const entries = audit.data.filter((e) => e.job_id === id);
    expect(entries.map((e) => [e.outcome, e.stage ?? null, e.reason ?? null]).sort()).toEqual([['allowed', null, null], ['moderated', 'output', 'red_triangle']]);
  });

  it('lists the model the worker serves, with its limits', async () => {
    const models = (await (await farm.call('GET', '/v1/models')).json()) as { data: Array<Record<string, unknown>> };
    expect(models.data).toEqual([expect.objectContaining({ name: 'tiny-shapes', workers: 1, resolution: { min: 32, max: 256, multiple: 16 } })]);
  });
});
