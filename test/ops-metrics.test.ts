// After jobs run through a real farm (the API in this process, one spawned worker process, the
// real Redis), /metrics on the API and on the worker show every flowfarm series with values
// that match what happened: counts equal to the jobs run, the busy gauge back to 0, webhook
// deliveries counted, HTTP routes labelled by template.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@flowfarm/api';
import { sampleSum, sampleValue } from './ops-prom-text.js';
import { startReceiver, type Receiver } from './webhooks/receiver.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
const REDIS_URL = 'redis://127.0.0.1:6379';
const MODEL = 'tiny-shapes';
const JOBS = 2;
const STEPS = 3;

const prefix = `ff-test-${randomUUID()}`;
const apiKey = `key-${randomUUID()}`;
let dataDir: string;
let api: RunningApi;
let worker: ChildProcess;
let workerMetricsUrl: string;
let receiver: Receiver;
let workerLog = '';
const jobIds: string[] = [];
let apiText = '';
let workerText = '';

const v1 = (route: string, init: RequestInit = {}) =>
  fetch(`${api.url}/v1${route}`, {
    ...init,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  });

/** Spawns a worker and resolves with its metrics URL, read from its "worker ready" log line. */
function spawnWorker(): Promise<string> {
  worker = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(REPO_ROOT, 'apps', 'worker', 'src', 'main.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      DATA_DIR: dataDir,
      FILES_SIGNING_SECRET: 'ops-metrics-secret',
      LOG_LEVEL: 'info',
      MODELS_DIR: path.join(REPO_ROOT, 'models'),
      MODELS: MODEL,
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      HEARTBEAT_INTERVAL_MS: '300',
      HEARTBEAT_TTL_MS: '1500',
      PUBLIC_URL: api.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  worker.stderr!.on('data', (chunk: Buffer) => (workerLog = (workerLog + chunk.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: worker.stdout! });
    lines.on('line', (line) => {
      workerLog = (workerLog + line + '\n').slice(-4000);
      if (!line.includes('worker ready')) return;
      const port = (JSON.parse(line) as { metricsPort?: number }).metricsPort;
      resolve(`http://127.0.0.1:${port}/metrics`);
    });
    worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${workerLog}`)));
  });
}

async function waitForModel(): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const body = (await (await v1('/models')).json()) as { data?: Array<{ name: string }> };
    if (body.data?.some((m) => m.name === MODEL)) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the worker never announced ${MODEL}:\n${workerLog}`);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'flowfarm-ops-metrics-'));
  receiver = await startReceiver();
  api = await startApi({
    REDIS_URL,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    FILES_SIGNING_SECRET: 'ops-metrics-secret',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    API_KEYS: `${apiKey}:tenant-ops`,
    WEBHOOK_ALLOW_PRIVATE: 'true',
  });
  workerMetricsUrl = await spawnWorker();
  await waitForModel();

  for (let i = 0; i < JOBS; i++) {
    const res = await v1('/jobs', {
      method: 'POST',
      headers: { prefer: 'wait=50' },
      body: JSON.stringify({ prompt: 'a red circle on a blue background', model: MODEL, steps: STEPS, seed: i, webhook: { url: `${receiver.url}/hook` } }),
    });
    const job = (await res.json()) as { id: string; status: string };
    expect(res.status, JSON.stringify(job)).toBe(200);
    expect(job.status).toBe('succeeded');
    jobIds.push(job.id);
    expect((await v1(`/jobs/${job.id}`)).status).toBe(200);
  }
  // Webhooks are delivered after the job ends; wait for both before reading the counters.
  for (let i = 0; i < 200 && receiver.requests.length < JOBS; i++) await new Promise((r) => setTimeout(r, 100));
  // The worker's gauges and counters are updated right after the job's completion is stored.
  for (let i = 0; i < 100; i++) {
    workerText = await (await fetch(workerMetricsUrl)).text();
    if (sampleValue(workerText, 'flowfarm_worker_busy', { model: MODEL }) === 0 && sampleValue(workerText, 'flowfarm_jobs_finished_total', { model: MODEL, status: 'succeeded' }) === JOBS) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const apiRes = await fetch(`${api.url}/metrics`);
  expect(apiRes.headers.get('content-type')).toContain('text/plain');
  apiText = await apiRes.text();
}, 120_000);

afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    await exited;
  }
  await api?.close();
  await receiver?.stop();
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await rm(dataDir, { recursive: true, force: true });
});

describe('API /metrics', () => {
  it('counts the submitted jobs and labels requests by route template, never by job id', () => {
    expect(sampleValue(apiText, 'flowfarm_jobs_submitted_total', { model: MODEL })).toBe(JOBS);
    const posts = { method: 'POST', route: '/v1/jobs', status: '200' };
    expect(sampleValue(apiText, 'flowfarm_http_request_duration_seconds_count', posts)).toBe(JOBS);
    expect(sampleValue(apiText, 'flowfarm_http_request_duration_seconds_count', { method: 'GET', route: '/v1/jobs/:id', status: '200' })).toBe(JOBS);
    for (const id of jobIds) expect(apiText).not.toContain(id);
  });

  it('reports the queue drained, no job waiting, and one live worker for the model', () => {
    for (const state of ['waiting', 'prioritized', 'active', 'delayed', 'failed']) {
      expect(sampleValue(apiText, 'flowfarm_queue_jobs', { model: MODEL, state }), state).toBe(0);
    }
    expect(sampleValue(apiText, 'flowfarm_queue_oldest_waiting_seconds', { model: MODEL })).toBe(0);
    expect(sampleValue(apiText, 'flowfarm_workers', { model: MODEL })).toBe(1);
  });

  it('counts one successful webhook delivery per job', () => {
    expect(receiver.requests.length).toBe(JOBS);
    expect(sampleValue(apiText, 'flowfarm_webhook_deliveries_total', { event: 'job.succeeded', outcome: 'success' })).toBe(JOBS);
    expect(sampleValue(apiText, 'flowfarm_webhook_delivery_seconds_count')).toBe(JOBS);
  });

  it('exports Node process metrics with the flowfarm_ prefix', () => {
    expect(sampleValue(apiText, 'flowfarm_process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(apiText, 'flowfarm_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });
});

describe('worker /metrics', () => {
  it('counts each job once as succeeded, with one observation per job in every job histogram', () => {
    expect(sampleValue(workerText, 'flowfarm_jobs_finished_total', { model: MODEL, status: 'succeeded' })).toBe(JOBS);
    for (const name of ['flowfarm_job_queue_wait_seconds', 'flowfarm_job_run_seconds', 'flowfarm_job_e2e_seconds']) {
      expect(sampleValue(workerText, `${name}_count`, { model: MODEL }), name).toBe(JOBS);
      const sum = sampleValue(workerText, `${name}_sum`, { model: MODEL })!;
      expect(sum, name).toBeGreaterThanOrEqual(0);
      expect(sum, name).toBeLessThan(120 * JOBS);
    }
    // A job's end-to-end time includes its run time.
    expect(sampleValue(workerText, 'flowfarm_job_e2e_seconds_sum', { model: MODEL })).toBeGreaterThanOrEqual(
      sampleValue(workerText, 'flowfarm_job_run_seconds_sum', { model: MODEL })!,
    );
  });

  it('times every pipeline stage: one encode/decode/upload per job, one step per denoising step', () => {
    const stage = (s: string) => sampleValue(workerText, 'flowfarm_pipeline_stage_seconds_count', { model: MODEL, stage: s });
    expect(stage('encode')).toBe(JOBS);
    expect(stage('step')).toBe(JOBS * STEPS);
    expect(stage('decode')).toBe(JOBS);
    expect(stage('encode_image')).toBe(JOBS);
    expect(stage('upload')).toBe(JOBS);
  });

  it('counts the images, is idle again, and reports how long the model took to load', () => {
    expect(sampleValue(workerText, 'flowfarm_images_generated_total', { model: MODEL })).toBe(JOBS);
    expect(sampleValue(workerText, 'flowfarm_worker_busy', { model: MODEL })).toBe(0);
    const load = sampleValue(workerText, 'flowfarm_model_load_seconds', { model: MODEL })!;
    expect(load).toBeGreaterThan(0);
    expect(load).toBeLessThan(120);
    expect(sampleSum(workerText, 'flowfarm_process_cpu_seconds_total')).toBeGreaterThan(0);
  });
});

describe('with no worker left', () => {
  /** Jobs waiting for a worker: BullMQ's waiting and prioritized states, as the alert rules and KEDA sum them. */
  const waitingJobs = (text: string) =>
    (sampleValue(text, 'flowfarm_queue_jobs', { model: MODEL, state: 'waiting' }) ?? 0) + (sampleValue(text, 'flowfarm_queue_jobs', { model: MODEL, state: 'prioritized' }) ?? 0);

  it('shows the waiting job, its age and zero live workers, then counts its cancel in the API', async () => {
    if (worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    const res = await v1('/jobs', { method: 'POST', body: JSON.stringify({ prompt: 'a green square', model: MODEL, steps: STEPS }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };

    // Queue gauges are read at most every 10 s and the heartbeat expires after 1.5 s.
    let text = '';
    for (let i = 0; i < 60; i++) {
      text = await (await fetch(`${api.url}/metrics`)).text();
      if (sampleValue(text, 'flowfarm_workers', { model: MODEL }) === 0 && waitingJobs(text) === 1) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(sampleValue(text, 'flowfarm_workers', { model: MODEL })).toBe(0);
    // jobs wait in BullMQ's prioritized set (every job carries its fair-share priority)
    expect(waitingJobs(text)).toBe(1);
    expect(sampleValue(text, 'flowfarm_queue_oldest_waiting_seconds', { model: MODEL })).toBeGreaterThan(0);

    expect((await v1(`/jobs/${id}/cancel`, { method: 'POST' })).status).toBe(202);
    text = await (await fetch(`${api.url}/metrics`)).text();
    expect(sampleValue(text, 'flowfarm_jobs_submitted_total', { model: MODEL })).toBe(JOBS + 1);
    expect(sampleValue(text, 'flowfarm_jobs_finished_total', { model: MODEL, status: 'canceled' })).toBe(1);
    expect(sampleValue(text, 'flowfarm_job_e2e_seconds_count', { model: MODEL })).toBe(1);
  }, 60_000);
});
