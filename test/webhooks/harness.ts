// Per-test-file webhook setup on the real Redis: its own key/BullMQ prefix, a notifier, a
// delivery worker with a scaled-down retry schedule, and cleanup of every key it made.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  createWebhookNotifier,
  createWebhookQueue,
  DeliveryLog,
  startWebhookDeliveryWorker,
  WebhookEndpointStore,
  WebhookSecretStore,
  type DeliveryJobData,
  type JobEventType,
  type WebhookDeliveryWorker,
  type WebhookNotifier,
  type WebhookSpec,
} from '@flowfarm/webhooks';
import type { Queue } from 'bullmq';

export const REDIS_URL = 'redis://127.0.0.1:6379';

export interface Harness {
  prefix: string;
  redis: Redis;
  queue: Queue<DeliveryJobData>;
  notifier: WebhookNotifier;
  deliveries: DeliveryLog;
  endpoints: WebhookEndpointStore;
  secrets: WebhookSecretStore;
  worker?: WebhookDeliveryWorker;
  close(): Promise<void>;
}

export interface HarnessOptions {
  allowPrivate?: boolean;
  timeoutMs?: number;
  /** 0.0002: 5 s → 1 ms, 5 min → 60 ms, 30 min → 360 ms, 2 h → 1.4 s. */
  retryScale?: number;
  startWorker?: boolean;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const prefix = `ff-test-${randomUUID()}`;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = createWebhookQueue(redis, prefix);
  const notifier = createWebhookNotifier({ redis, prefix, queue });
  const worker =
    options.startWorker === false
      ? undefined
      : startWebhookDeliveryWorker({
          connection: redis,
          prefix,
          timeoutMs: options.timeoutMs ?? 2_000,
          retryScale: options.retryScale ?? 0.0002,
          allowPrivate: options.allowPrivate ?? true,
          concurrency: 8,
        });
  return {
    prefix,
    redis,
    queue,
    notifier,
    deliveries: new DeliveryLog(redis, prefix),
    endpoints: new WebhookEndpointStore(redis, prefix),
    secrets: new WebhookSecretStore(redis, prefix),
    worker,
    async close() {
      await worker?.close();
      await notifier.close();
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    },
  };
}

/** A job view as GET /v1/jobs/:id returns it (the fields a payload carries). */
export function fakeJobView(webhook?: WebhookSpec, status = 'succeeded', step = 4) {
  return {
    id: `job_${randomUUID().replaceAll('-', '')}`,
    status,
    model: 'tiny-shapes',
    input: { prompt: 'a red circle', webhook },
    progress: { step, total: 4 },
    queue_position: null,
    outputs: [],
    error: null,
    metadata: null,
    created_at: new Date().toISOString(),
    started_at: new Date().toISOString(),
    finished_at: new Date().toISOString(),
    urls: { self: '/v1/jobs/x', events: '/v1/jobs/x/events', cancel: '/v1/jobs/x/cancel' },
  };
}

export type { JobEventType };
