// The farm on a Redis Cluster: a local 3-primary cluster on loopback (redis-server
// --cluster-enabled yes), the API and a worker process given REDIS_URL=redis+cluster://…,
// and a job, a cancel and webhooks through it, as a user would drive them.
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWebhook } from '@flowfarm/client';
import { webhookNotifierFor } from '@flowfarm/api';
import { startReceiver, waitUntil, type Receiver } from '../webhooks/receiver.js';
import { readEvents, startFarm, type Farm } from './support/farm.js';
import { startRedisCluster, type RedisCluster } from './support/redis-servers.js';

// Real processes on a small shared machine: starting a worker can take a minute under load.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

type JobBody = { id: string; status: string; progress: { step: number; total: number }; outputs: Array<{ url: string }> };

let cluster: RedisCluster | undefined;
let farm: Farm | undefined;
let receiver: Receiver | undefined;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  receiver = await startReceiver();
  farm = await startFarm({
    redisUrl: cluster.url,
    workers: 1,
    maxSteps: 200,
    // One job at a time, so the second job below waits in the queue (a batching worker takes
    // jobs that wait while it is busy).
    workerEnv: { BATCH_MAX: '1' },
    apiEnv: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCALE: '0.0002' },
    // The real API's notifier (with the delivery worker); createApp mounts the webhook routes.
    apiOptions: { notifier: webhookNotifierFor },
  });
});

afterAll(async () => {
  await farm?.close();
  await receiver?.stop();
  await cluster?.close();
});

const webhooksFor = (jobId: string) => receiver!.requests.map((r) => ({ ...r, event: JSON.parse(r.body) as { type: string; data: { id: string; status: string } } })).filter((r) => r.event.data.id === jobId);

describe('the farm on a 3-primary Redis Cluster', () => {
  it('runs a job to a downloadable image, streams its events and delivers a verified webhook', async () => {
    const res = await farm!.call('POST', '/v1/jobs', {
      body: { prompt: 'a red circle on a blue background', width: 64, height: 64, steps: 4, webhook: { url: receiver!.url } },
      headers: { Prefer: 'wait=120' },
    });
    const job = (await res.json()) as JobBody;
    // Prefer: wait is answered from the job's events, which travel by pub/sub across the cluster.
    expect(job.status).toBe('succeeded');
    const png = await fetch(job.outputs[0].url);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');

    const { events } = await readEvents(farm!, job.id);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('job.queued');
    expect(types).toContain('job.started');
    expect(types.at(-1)).toBe('job.succeeded');

    await waitUntil(() => webhooksFor(job.id).some((r) => r.event.type === 'job.succeeded'), 'the job.succeeded webhook', 60_000);
    const secret = ((await (await farm!.call('GET', '/v1/webhook-secret')).json()) as { secret: string }).secret;
    const delivered = webhooksFor(job.id).find((r) => r.event.type === 'job.succeeded')!;
    expect(verifyWebhook(delivered.body, delivered.headers, secret)).toMatchObject({ type: 'job.succeeded', data: { id: job.id, status: 'succeeded' } });
  });

  it('cancels a queued and a running job: the worker stops it and the canceled webhooks arrive', async () => {
    const slow = { prompt: 'a slow big circle', width: 256, height: 256, steps: 200, num_images: 4, webhook: { url: receiver!.url } };
    const job = (await (await farm!.call('POST', '/v1/jobs', { body: slow })).json()) as JobBody;
    const queued = (await (await farm!.call('POST', '/v1/jobs', { body: { prompt: 'waiting behind the slow one', width: 64, height: 64, webhook: { url: receiver!.url } } })).json()) as JobBody;
    await farm!.waitForJob(job.id, (j) => (j as unknown as JobBody).progress.step >= 2);
    const cancelQueued = await farm!.call('POST', `/v1/jobs/${queued.id}/cancel`);
    expect(cancelQueued.status).toBe(202);
    expect(((await cancelQueued.json()) as JobBody).status).toBe('canceled');
    const canceled = await farm!.call('POST', `/v1/jobs/${job.id}/cancel`);
    expect(canceled.status).toBe(202);
    const done = (await farm!.waitForJob(job.id, (j) => ['canceled', 'succeeded', 'failed'].includes(j.status))) as unknown as JobBody;
    expect(done.status).toBe('canceled');
    expect(done.progress.step).toBeLessThan(200);
    for (const id of [job.id, queued.id]) await waitUntil(() => webhooksFor(id).some((r) => r.event.type === 'job.canceled'), 'the job.canceled webhooks', 60_000);
    expect(((await (await farm!.call('GET', `/v1/jobs/${queued.id}`)).json()) as { started_at: string | null }).started_at).toBeNull();
    // The worker is free again: a next job runs.
    const next = (await (await farm!.call('POST', '/v1/jobs', { body: { prompt: 'a small square', width: 64, height: 64, steps: 4 }, headers: { Prefer: 'wait=120' } })).json()) as JobBody;
    expect(next.status).toBe('succeeded');
  });

  it('keeps every key of the farm in the one hash slot of its prefix (scripts and MULTI span keys)', async () => {
    // The cluster is this test's own, so every key on it is the farm's.
    const nodes = (farm!.redis as unknown as Cluster).nodes('master');
    const keys: string[] = [];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'COUNT', 500);
        cursor = next;
        keys.push(...found);
      } while (cursor !== '0');
    }
    expect(keys.length).toBeGreaterThan(10);
    expect(farm!.prefix).toMatch(/^\{ff-test-[\w-]+\}$/);
    expect(keys.filter((key) => !key.startsWith(`${farm!.prefix}:`))).toEqual([]);
  });
});
