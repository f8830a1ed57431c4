// End to end through a real farm: the API in this process (it also runs the delivery worker),
// worker processes spawned from apps/worker, the real Redis and a loopback receiver. A job
// submitted with a webhook produces one job.succeeded delivery that verifyWebhook accepts, and
// killing the worker with SIGKILL right after the job finished does not make a second one.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@flowfarm/api';
import { farmKeys, JobStore } from '@flowfarm/queue';
import { verifyWebhook } from '@flowfarm/client';
import { startReceiver, waitUntil, type Receiver } from './receiver.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REDIS_URL = 'redis://127.0.0.1:6379';
const MODEL = 'tiny-shapes';

const prefix = `ff-test-${randomUUID()}`;
const apiKey = `key-${randomUUID()}`;
let dataDir: string;
let api: RunningApi;
let receiver: Receiver;
let redis: Redis;
const workers: ChildProcess[] = [];
let killNextWorkerOnSucceeded = false;

function spawnWorker(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'apps', 'worker', 'src', 'main.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      DATA_DIR: dataDir,
      FILES_SIGNING_SECRET: 'e2e-secret',
      LOG_LEVEL: 'warn',
      MODELS_DIR: path.join(REPO_ROOT, 'models'),
      MODELS: MODEL,
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      HEARTBEAT_INTERVAL_MS: '300',
      HEARTBEAT_TTL_MS: '1500',
      // A job whose worker died is picked up again quickly.
      LOCK_DURATION_MS: '1000',
      STALLED_INTERVAL_MS: '500',
      PUBLIC_URL: api.url,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  workers.push(child);
  return child;
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

async function waitForModel(): Promise<void> {
  await waitUntil(async () => {
    const res = await request(api.url).get('/v1/models').set('authorization', `Bearer ${apiKey}`);
    return (res.body.data ?? []).some((m: { name: string }) => m.name === MODEL);
  }, 'a worker serving the model', 60_000);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'flowfarm-webhooks-e2e-'));
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  receiver = await startReceiver(() => {
    // The moment the job.succeeded webhook arrives, the worker has finished the job: kill it.
    if (killNextWorkerOnSucceeded) {
      killNextWorkerOnSucceeded = false;
      for (const w of workers) if (running(w)) w.kill('SIGKILL');
    }
    return { status: 200 };
  });
  api = await startApi({
    REDIS_URL,
    REDIS_PREFIX: prefix,
    DATA_DIR: dataDir,
    FILES_SIGNING_SECRET: 'e2e-secret',
    LOG_LEVEL: 'warn',
    PORT: '0',
    HOST: '127.0.0.1',
    API_KEYS: `${apiKey}:tenant-e2e`,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_SCALE: '0.0002',
  });
  spawnWorker();
  await waitForModel();
}, 120_000);

afterAll(async () => {
  await killWorkers();
  await receiver?.stop();
  await api?.close();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
  await rm(dataDir, { recursive: true, force: true });
});


/** Waits until the render job is completed for good and no webhook delivery is pending. */
async function waitUntilSettled(jobId: string): Promise<void> {
  const renderQueue = new Queue(`render.${MODEL}`, { connection: redis, prefix });
  const webhookQueue = new Queue('webhooks', { connection: redis, prefix });
  try {
    await waitUntil(async () => (await renderQueue.getJobState(jobId)) === 'completed', 'render job completed', 60_000);
    await waitUntil(async () => {
      const c = await webhookQueue.getJobCounts('waiting', 'active', 'delayed');
      return c.waiting + c.active + c.delayed === 0;
    }, 'no webhook deliveries pending', 30_000);
  } finally {
    await renderQueue.close();
    await webhookQueue.close();
  }
}

async function killWorkers(): Promise<void> {
  for (const w of workers) {
    if (running(w)) {
      w.kill('SIGKILL');
      await new Promise((r) => w.once('exit', r));
    }
  }
}

const auth = () => ({ authorization: `Bearer ${apiKey}` });

async function submit(events?: string[]): Promise<string> {
  const res = await request(api.url)
    .post('/v1/jobs')
    .set(auth())
    .send({ prompt: 'a red circle', width: 64, height: 64, steps: 4, webhook: { url: receiver.url, ...(events ? { events } : {}) } });
  expect(res.status).toBe(202);
  return res.body.id as string;
}

const succeededFor = (jobId: string) =>
  receiver.requests.filter((r) => {
    const body = JSON.parse(r.body);
    return body.type === 'job.succeeded' && body.data.id === jobId;
  });

describe('webhooks through a real farm', () => {
  it('a job with a webhook produces one verified job.succeeded delivery', async () => {
    const jobId = await submit(['job.queued', 'job.started', 'job.succeeded']);
    await waitUntil(() => succeededFor(jobId).length === 1, 'job.succeeded delivery', 60_000);
    const secret = (await request(api.url).get('/v1/webhook-secret').set(auth())).body.secret as string;
    const [req] = succeededFor(jobId);
    const event = verifyWebhook(req.body, req.headers, secret);
    expect(event.type).toBe('job.succeeded');
    expect(event.data.status).toBe('succeeded');
    expect(event.data.outputs).toHaveLength(1);

    await waitUntil(async () => {
      const res = await request(api.url).get(`/v1/jobs/${jobId}/deliveries`).set(auth());
      return res.body.data?.length === 3 && res.body.data.every((d: { status: string }) => d.status === 'delivered');
    }, 'three delivered events in the job deliveries', 30_000);
    const types = receiver.requests.filter((r) => JSON.parse(r.body).data.id === jobId).map((r) => JSON.parse(r.body).type);
    expect(types.sort()).toEqual(['job.queued', 'job.started', 'job.succeeded']);

    // Redeliver sends the same message (same webhook-id) once more and records the attempt.
    const deliveryId = req.headers['webhook-id'];
    const redelivered = await request(api.url).post(`/v1/jobs/${jobId}/deliveries/${deliveryId}/redeliver`).set(auth());
    expect(redelivered.status).toBe(202);
    await waitUntil(() => succeededFor(jobId).length === 2, 'the redelivery', 30_000);
    expect(succeededFor(jobId)[1].headers['webhook-id']).toBe(deliveryId);
    expect(succeededFor(jobId)[1].body).toBe(req.body);
    await waitUntil(async () => {
      const res = await request(api.url).get(`/v1/jobs/${jobId}/deliveries`).set(auth());
      const d = res.body.data.find((x: { id: string }) => x.id === deliveryId);
      return d.status === 'delivered' && d.attempts.length === 2;
    }, 'the redelivery recorded', 30_000);
    const unknown = await request(api.url).post(`/v1/jobs/${jobId}/deliveries/wh.nope/redeliver`).set(auth());
    expect(unknown.status).toBe(404);
  });

  it('worker SIGKILL right after the job finished → still exactly one job.succeeded delivery', async () => {
    killNextWorkerOnSucceeded = true;
    const jobId = await submit();
    await waitUntil(() => succeededFor(jobId).length >= 1, 'job.succeeded delivery', 60_000);
    await waitUntil(() => workers.every((w) => !running(w)), 'the worker killed');
    spawnWorker();
    await waitForModel();
    await waitUntilSettled(jobId);
    const deliveries = (await request(api.url).get(`/v1/jobs/${jobId}/deliveries`).set(auth())).body.data as Array<{ event: string }>;
    expect(deliveries.filter((d) => d.event === 'job.succeeded')).toHaveLength(1);
    expect(succeededFor(jobId)).toHaveLength(1);
  });

  it('a worker that died between finishing the job and reporting it: the re-run reports job.succeeded once', async () => {
    await killWorkers();
    const jobId = await submit();
    // What the dead worker did: it ran the job and marked it succeeded, then died before
    // notifying; BullMQ still holds the render job and hands it to the next worker.
    const store = new JobStore(redis, farmKeys(prefix), { retentionMs: 3_600_000 });
    const queued = (await store.get(jobId))!;
    expect((await store.markStarted(queued, 1)).kind).toBe('ok');
    expect((await store.markSucceeded((await store.get(jobId))!, [])).kind).toBe('ok');
    spawnWorker();
    await waitUntilSettled(jobId);
    expect(succeededFor(jobId)).toHaveLength(1);
    const deliveries = (await request(api.url).get(`/v1/jobs/${jobId}/deliveries`).set(auth())).body.data as Array<{ event: string; status: string }>;
    expect(deliveries).toEqual([expect.objectContaining({ event: 'job.succeeded', status: 'delivered' })]);
  });
});
