// The durable BullMQ queue `webhooks`: one queue job per delivery, whose id is derived from
// (job, event[, step]). BullMQ ignores an add whose id already exists, so notifying the same
// event twice (a job re-run after its worker died) never makes a second delivery.
import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { JobEventType, WebhookEventType } from './types.js';
import { MAX_DELIVERY_ATTEMPTS } from './retry-schedule.js';
import { DELIVERY_RECORD_TTL_S } from './delivery-log.js';

export const WEBHOOK_QUEUE = 'webhooks';
/** Name of the custom backoff the delivery worker implements (see delivery-worker.ts). */
export const WEBHOOK_BACKOFF = 'standard-webhooks';

export interface DeliveryJobData {
  delivery_id: string;
  tenant: string;
  job_id: string;
  event: WebhookEventType;
  url: string;
  payload: string;
}

/**
 * The delivery id, which is also the `webhook-id` header and the queue job id. BullMQ ids may
 * not contain ':' (nor be integers), so the parts are joined with '.'.
 */
export function deliveryIdFor(jobId: string, event: JobEventType, step?: number): string {
  const safeJob = jobId.replaceAll(':', '_');
  return step === undefined ? `wh.${safeJob}.${event}` : `wh.${safeJob}.${event}.${step}`;
}

export function createWebhookQueue(connection: ConnectionOptions, prefix: string): Queue<DeliveryJobData> {
  return new Queue<DeliveryJobData>(WEBHOOK_QUEUE, { connection, prefix });
}

export function deliveryJobOptions(queueJobId: string): JobsOptions {
  return {
    jobId: queueJobId,
    attempts: MAX_DELIVERY_ATTEMPTS,
    backoff: { type: WEBHOOK_BACKOFF },
    // Kept as long as the delivery record: while the queue job exists a second add is a no-op.
    removeOnComplete: { age: DELIVERY_RECORD_TTL_S },
    removeOnFail: { age: DELIVERY_RECORD_TTL_S },
  };
}
