// End to end through a real farm: the API in this process (it also runs the delivery worker),
// worker processes spawned from apps/worker, the real Redis and a loopback receiver. A job
// submitted with a webhook produces one job.succeeded delivery that verifyWebhook accepts, and
// a worker dying around the end of a job neither loses nor doubles it.
import { Queue } from 'bullmq';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '@flowfarm/client';
import { farmKeys, JobLifecycle, RenderQueues, type JobRecord } from '@flowfarm/queue';
import { startReceiver, waitUntil, type Receiver } from './receiver.js';
import { MODEL, startWebhookFarm, type WebhookFarm } from './webhook-farm.js';

let farm: WebhookFarm;
let receiver: Receiver;
let killWorkersOnSucceeded = false;

beforeAll(async () => {
  receiver = await startReceiver(() => {
    // The moment the job.succeeded webhook arrives, the worker has finished the job: kill it.
    if (killWorkersOnSucceeded) {
      killWorkersOnSucceeded = false;
      void farm.killWorkers();
    }
    return { status: 200 };
  });
  farm = await startWebhookFarm();
  farm.spawnWorker();
  await farm.waitForModel();
}, 120_000);

afterAll(async () => {
  await receiver?.stop();
  await farm?.close();
});

const auth = () => ({ authorization: `Bearer ${farm.apiKey}` });

async function submit(events?: string[]): Promise<string> {
  const res = await request(farm.url)
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

async function deliveriesOf(jobId: string): Promise<Array<{ id: string; event: string; status: string; attempts: unknown[] }>> {
  return (await request(farm.url).get(`/v1/jobs/${jobId}/deliveries`).set(auth())).body.data;
}

/** Waits until the render job is completed for good and no webhook delivery is pending. */
async function waitUntilSettled(jobId: string): Promise<void> {
  const renderQueue = new Queue(`render.${MODEL}`, { connection: farm.redis, prefix: farm.prefix });
  const webhookQueue = new Queue('webhooks', { connection: farm.redis, prefix: farm.prefix });
  try {
    // the dispatch token is removed as soon as the render job completes
    await waitUntil(async () => ['completed', 'unknown'].includes(await renderQueue.getJobState(jobId)), 'render job completed', 60_000);
    await waitUntil(async () => {
      const c = await webhookQueue.getJobCounts('waiting', 'active', 'delayed');
      return c.waiting + c.active + c.delayed === 0;
    }, 'no webhook deliveries pending', 30_000);
  } finally {
    await renderQueue.close();
    await webhookQueue.close();
  }
}

describe('webhooks through a real farm', () => {
  it('a job with a webhook produces one verified job.succeeded delivery, and redeliver sends it again', async () => {
    const jobId = await submit(['job.queued', 'job.started', 'job.succeeded']);
    await waitUntil(() => succeededFor(jobId).length === 1, 'job.succeeded delivery', 60_000);
    const secret = (await request(farm.url).get('/v1/webhook-secret').set(auth())).body.secret as string;
    const [req] = succeededFor(jobId);
    const event = verifyWebhook(req.body, req.headers, secret);
    expect(event.type).toBe('job.succeeded');
    expect(event.data.status).toBe('succeeded');
    expect(event.data.outputs).toHaveLength(1);

    await waitUntil(async () => {
      const list = await deliveriesOf(jobId);
      return list.length === 3 && list.every((d) => d.status === 'delivered');
    }, 'three delivered events in the job deliveries', 30_000);
    const types = receiver.requests.filter((r) => JSON.parse(r.body).data.id === jobId).map((r) => JSON.parse(r.body).type);
    expect(types.sort()).toEqual(['job.queued', 'job.started', 'job.succeeded']);

    // Redeliver sends the same message (same webhook-id) once more and records the attempt.
    const deliveryId = req.headers['webhook-id'];
    const redelivered = await request(farm.url).post(`/v1/jobs/${jobId}/deliveries/${deliveryId}/redeliver`).set(auth());
    expect(redelivered.status).toBe(202);
    await waitUntil(() => succeededFor(jobId).length === 2, 'the redelivery', 30_000);
    expect(succeededFor(jobId)[1].headers['webhook-id']).toBe(deliveryId);
    expect(succeededFor(jobId)[1].body).toBe(req.body);
    await waitUntil(async () => {
      const d = (await deliveriesOf(jobId)).find((x) => x.id === deliveryId);
      return d?.status === 'delivered' && d.attempts.length === 2;
    }, 'the redelivery recorded', 30_000);
    const unknown = await request(farm.url).post(`/v1/jobs/${jobId}/deliveries/wh.nope/redeliver`).set(auth());
    expect(unknown.status).toBe(404);
  });

  it('worker SIGKILL right after the job finished → still exactly one job.succeeded delivery', async () => {
    killWorkersOnSucceeded = true;
    const jobId = await submit();
    await waitUntil(() => succeededFor(jobId).length >= 1, 'job.succeeded delivery', 60_000);
    await waitUntil(() => !farm.workersRunning(), 'the worker killed');
    farm.spawnWorker();
    await farm.waitForModel();
    // Whatever the killed worker left (an unfinished BullMQ job is re-run by the new one).
    await waitUntilSettled(jobId);
    expect((await deliveriesOf(jobId)).filter((d) => d.event === 'job.succeeded')).toHaveLength(1);
    expect(succeededFor(jobId)).toHaveLength(1);
  });

  it('a worker that died between finishing the job and reporting it: the re-run reports job.succeeded once', async () => {
    await farm.killWorkers();
    const jobId = await submit();
    // What the dead worker did: it ran the job and marked it succeeded, then died before
    // notifying; BullMQ still holds the render job and hands it to the next worker.
    const queues = new RenderQueues(farm.redis, farmKeys(farm.prefix), { attempts: 1, backoffMs: 0 });
    const lifecycle = new JobLifecycle(farm.redis, farmKeys(farm.prefix), queues, { retentionMs: 3_600_000 });
    const started = await lifecycle.start(jobId, 'the-dead-worker', 1, MODEL);
    expect(started.kind).toBe('ok');
    expect((await lifecycle.succeed((started as { record: JobRecord }).record, 'the-dead-worker', [], 1)).kind).toBe('ok');
    await queues.close();
    farm.spawnWorker();
    await waitUntilSettled(jobId);
    expect(succeededFor(jobId)).toHaveLength(1);
    expect(await deliveriesOf(jobId)).toEqual([expect.objectContaining({ event: 'job.succeeded', status: 'delivered' })]);
  });
});
