// Dataset webhooks: `dataset.succeeded`, `dataset.failed` or `dataset.canceled`, one per dataset (the delivery id
// is derived from the dataset and the event, so a finalize that runs twice enqueues nothing
// new). Deliveries go through the same durable queue, signing and retries as job events.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DatasetNotification, DatasetNotifier } from '@flowfarm/contracts';
import { DeliveryLog } from './delivery-log.js';
import { createWebhookQueue, type DeliveryJobData } from './delivery-queue.js';
import { WebhookEndpointStore } from './endpoint-store.js';
import { enqueueDelivery } from './notifier.js';

export interface DatasetWebhookNotifier extends DatasetNotifier {
  close(): Promise<void>;
}

export function createDatasetWebhookNotifier(deps: { redis: Redis; prefix: string; queue?: Queue<DeliveryJobData> }): DatasetWebhookNotifier {
  const { redis, prefix } = deps;
  const queue = deps.queue ?? createWebhookQueue(redis, prefix);
  const endpoints = new WebhookEndpointStore(redis, prefix);
  const log = new DeliveryLog(redis, prefix);
  let closing: Promise<void> | undefined;
  return {
    async notify({ type, tenant, dataset, url }: DatasetNotification): Promise<void> {
      const target = url ?? (await endpoints.getDefault(tenant))?.url;
      if (!target) return;
      const payload = JSON.stringify({ type, timestamp: new Date().toISOString(), data: dataset });
      await enqueueDelivery(log, queue, { id: `wh.${dataset.id}.${type}`, tenant, jobId: dataset.id, event: type, url: target, payload });
    },
    close(): Promise<void> {
      closing ??= deps.queue ? Promise.resolve() : queue.close();
      return closing;
    },
  };
}
