// createWebhookNotifier: what the api and the worker call at each job transition. It picks the
// endpoint (the job's `webhook`, else the tenant's default), drops events it does not want,
// throttles progress, and turns the event into a durable delivery: a record in Redis plus a
// queue job on `webhooks`, both keyed by the delivery id derived from (job, event[, step]).
// It does no HTTP itself, so a slow receiver never slows the caller (a GPU worker).
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ReadCache } from '@flowfarm/contracts';
import { DeliveryLog, FINAL_DELIVERY_STATUSES, type NewDelivery } from './delivery-log.js';
import { createWebhookQueue, deliveryIdFor, deliveryJobOptions, type DeliveryJobData } from './delivery-queue.js';
import { WebhookEndpointStore } from './endpoint-store.js';
import { DEFAULT_WEBHOOK_EVENTS, type JobEventType, type JobNotification, type JobNotifier, type JobViewLike, type WebhookSpec } from './types.js';

/** At most 2 progress deliveries per second per job. */
export const PROGRESS_INTERVAL_MS = 500;

/** How long a tenant's default endpoint is reused without asking Redis again. */
export const ENDPOINT_CACHE_MS = 1000;

const TERMINAL = DEFAULT_WEBHOOK_EVENTS;

export interface WebhookNotifierDeps {
  /** ioredis connection (shared with the caller is fine). */
  redis: Redis;
  /** Key prefix: BullMQ prefix of the `webhooks` queue and prefix of this package's keys. */
  prefix: string;
  /** An existing `webhooks` queue; otherwise the notifier opens (and closes) its own. */
  queue?: Queue<DeliveryJobData>;
}

export interface WebhookNotifier<J extends JobViewLike = JobViewLike> extends JobNotifier<J> {
  close(): Promise<void>;
}

export function webhookPayload(type: JobEventType, job: unknown, at: Date = new Date()): string {
  return JSON.stringify({ type, timestamp: at.toISOString(), data: job });
}

/** Creates the delivery (once) and enqueues it (idempotent); shared with redelivery. */
export async function enqueueDelivery(
  log: DeliveryLog,
  queue: Queue<DeliveryJobData>,
  delivery: NewDelivery,
): Promise<void> {
  const { status } = await log.createIfAbsent(delivery);
  // Finished deliveries stay finished even after their queue job was removed.
  if (FINAL_DELIVERY_STATUSES.includes(status)) return;
  // Pending: either new, or created by a process that may have died before enqueueing.
  const data: DeliveryJobData = {
    delivery_id: delivery.id,
    tenant: delivery.tenant,
    job_id: delivery.jobId,
    event: delivery.event,
    url: delivery.url,
    payload: delivery.payload,
  };
  await queue.add('deliver', data, deliveryJobOptions(delivery.id));
}

export function createWebhookNotifier<J extends JobViewLike = JobViewLike>(deps: WebhookNotifierDeps): WebhookNotifier<J> {
  const { redis, prefix } = deps;
  const queue = deps.queue ?? createWebhookQueue(redis, prefix);
  const ownsQueue = !deps.queue;
  const endpoints = new WebhookEndpointStore(redis, prefix);
  const log = new DeliveryLog(redis, prefix);
  let closing: Promise<void> | undefined;

  // Tenants' default endpoints, kept for a moment: a job asks at every transition, and most
  // tenants have none. A changed endpoint applies to events ENDPOINT_CACHE_MS later at the latest.
  const endpointCache = new ReadCache<{ url: string; events: readonly JobEventType[] } | null>(ENDPOINT_CACHE_MS);
  const tenantEndpoint = (tenant: string) => endpointCache.get(tenant, () => endpoints.getDefault(tenant));

  async function endpointFor(tenant: string, own: WebhookSpec | undefined): Promise<{ url: string; events: readonly JobEventType[] } | null> {
    if (own) return { url: own.url, events: own.events ?? DEFAULT_WEBHOOK_EVENTS };
    return tenantEndpoint(tenant);
  }

  /** Claims the job's one terminal delivery; false if another terminal event already has it. */
  async function claimTerminal(jobId: string, type: JobEventType): Promise<boolean> {
    const key = `${prefix}:wh:terminal:${jobId}`;
    const set = await redis.set(key, type, 'EX', 7 * 24 * 3600, 'NX');
    return set === 'OK' || (await redis.get(key)) === type;
  }

  return {
    async notify(notice: JobNotification<J>): Promise<void> {
      const { type, tenant } = notice;
      const jobId = 'job' in notice ? notice.job.id : notice.jobId;
      const endpoint = await endpointFor(tenant, 'job' in notice ? notice.job.input.webhook : notice.webhook);
      if (!endpoint || !endpoint.events.includes(type)) return;
      let step: number | undefined;
      if (type === 'job.progress') {
        step = ('job' in notice ? notice.job : notice).progress.step;
        const fresh = await redis.set(`${prefix}:wh:progress:${jobId}`, String(step), 'PX', PROGRESS_INTERVAL_MS, 'NX');
        if (fresh !== 'OK') return;
      }
      if (TERMINAL.includes(type) && !(await claimTerminal(jobId, type))) return;
      const job = 'job' in notice ? notice.job : await notice.view();
      const id = deliveryIdFor(jobId, type, step);
      const delivery: NewDelivery = { id, tenant, jobId, event: type, url: endpoint.url, payload: webhookPayload(type, job) };
      await enqueueDelivery(log, queue, delivery);
    },
    close(): Promise<void> {
      closing ??= ownsQueue ? queue.close() : Promise.resolve();
      return closing;
    },
  };
}
