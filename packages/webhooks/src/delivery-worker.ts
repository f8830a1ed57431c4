// The delivery process: a BullMQ Worker on `webhooks`, run inside the api process(es) or by
// `flowfarm webhooks`, never by a render worker. Each queue job is one delivery; each
// processing of it is one HTTP attempt, signed afresh (new timestamp, same webhook-id).
//
// Retries use BullMQ's own attempts with a custom backoff strategy rather than delayed
// re-adds: the delivery stays one queue job with one id for its whole life (so a duplicate
// notify is still a no-op), BullMQ moves it to `delayed` and counts the attempt atomically, and
// a delivery process that dies mid-attempt is recovered by the stalled-job check. The delay
// itself is decided in the processor (schedule × scale, jitter, Retry-After), recorded as the
// attempt's `next_try_at`, and handed to the strategy on the error, so log and queue agree.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { webhookDeliveries, webhookDeliverySeconds } from '@flowfarm/metrics';
import { DeliveryLog, type DeliveryStatus } from './delivery-log.js';
import { WEBHOOK_BACKOFF, WEBHOOK_QUEUE, type DeliveryJobData } from './delivery-queue.js';
import { WebhookEndpointStore } from './endpoint-store.js';
import { nextRetryDelayMs } from './retry-schedule.js';
import { WebhookSecretStore } from './secret-store.js';
import { postWebhook, type AttemptResult } from './send-webhook.js';
import { signWebhook } from './sign-webhook.js';
import { resolveWebhookTarget, WebhookUrlRefusedError } from './ssrf-guard.js';

export interface LoggerLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface DeliveryWorkerOptions {
  /** ioredis connection for BullMQ's worker: `maxRetriesPerRequest: null`. */
  connection: Redis;
  prefix: string;
  timeoutMs: number;
  retryScale: number;
  allowPrivate: boolean;
  concurrency: number;
  log?: LoggerLike;
}

/** A failed attempt that should be retried after `retryDelayMs`. */
export class DeliveryAttemptFailedError extends Error {
  constructor(
    message: string,
    readonly retryDelayMs: number,
  ) {
    super(message);
    this.name = 'DeliveryAttemptFailedError';
  }
}

export interface WebhookDeliveryWorker {
  worker: Worker<DeliveryJobData>;
  close(): Promise<void>;
}

export function startWebhookDeliveryWorker(options: DeliveryWorkerOptions): WebhookDeliveryWorker {
  const { connection, prefix, retryScale } = options;
  const deliveries = new DeliveryLog(connection, prefix);
  const endpoints = new WebhookEndpointStore(connection, prefix);
  const secrets = new WebhookSecretStore(connection, prefix);

  async function finish(data: DeliveryJobData, status: DeliveryStatus, outcome: string, detail: string | null = null) {
    await deliveries.setStatus(data.delivery_id, status, detail);
    webhookDeliveries.inc({ event: data.event, outcome });
  }

  async function process(job: Job<DeliveryJobData>): Promise<void> {
    const data = job.data;
    const attemptNumber = job.attemptsMade + 1;
    const disabled = await endpoints.disabledInfo(data.tenant, data.url);
    if (disabled) {
      // Not an attempt: the receiver told us earlier to stop (410).
      return finish(data, 'endpoint_disabled', 'blocked', `endpoint disabled at ${disabled.at}: ${disabled.reason}`);
    }

    let result: AttemptResult;
    try {
      // Checked again at send time: DNS may have changed since submit.
      const target = await resolveWebhookTarget(data.url, { allowPrivate: options.allowPrivate });
      const headers = signWebhook(data.delivery_id, data.payload, await secrets.signingSecrets(data.tenant));
      result = await postWebhook(target, { ...headers }, data.payload, options.timeoutMs);
      webhookDeliverySeconds.observe(result.durationMs / 1000);
    } catch (err) {
      if (!(err instanceof WebhookUrlRefusedError)) throw err;
      if (!err.temporary) {
        await deliveries.recordAttempt(data.delivery_id, attemptRecord({ statusCode: null, durationMs: 0, error: err.message, retryAfterMs: null }, null));
        await finish(data, 'refused', 'blocked', err.message);
        throw new UnrecoverableError(err.message);
      }
      result = { statusCode: null, durationMs: 0, error: err.message, retryAfterMs: null };
    }

    if (result.error === null) {
      await deliveries.recordAttempt(data.delivery_id, attemptRecord(result, null));
      return finish(data, 'delivered', 'success');
    }
    if (result.statusCode === 410) {
      const reason = 'receiver answered 410 Gone';
      await deliveries.recordAttempt(data.delivery_id, attemptRecord(result, null));
      await endpoints.disable(data.tenant, data.url, reason);
      await finish(data, 'endpoint_disabled', 'blocked', `${reason}; no more deliveries to ${data.url} until it is set again`);
      options.log?.warn({ tenant: data.tenant, url: data.url }, 'webhook endpoint disabled (410 Gone)');
      throw new UnrecoverableError(reason);
    }
    const delay = nextRetryDelayMs(attemptNumber, { scale: retryScale }, result.retryAfterMs);
    await deliveries.recordAttempt(data.delivery_id, attemptRecord(result, delay));
    if (delay === null) {
      await finish(data, 'failed', 'failed', `gave up after ${attemptNumber} attempts: ${result.error}`);
      throw new UnrecoverableError(result.error);
    }
    webhookDeliveries.inc({ event: data.event, outcome: 'retry' });
    throw new DeliveryAttemptFailedError(result.error, delay);
  }

  const worker = new Worker<DeliveryJobData>(WEBHOOK_QUEUE, process, {
    connection,
    prefix,
    concurrency: options.concurrency,
    // A stalled delivery (its process died mid-attempt) is simply sent again: same webhook-id.
    maxStalledCount: 10,
    // Attempts wait on the network, never block the event loop, so the lock can be short: a
    // delivery whose process was killed is picked up again within ~2 lock durations.
    lockDuration: Math.max(5_000, options.timeoutMs * 2),
    stalledInterval: Math.max(5_000, options.timeoutMs * 2),
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string, err?: Error) => {
        if (err instanceof DeliveryAttemptFailedError) return err.retryDelayMs;
        if (type !== WEBHOOK_BACKOFF) return 0;
        // An unexpected error (Redis hiccup) before the attempt was judged: follow the schedule.
        return nextRetryDelayMs(attemptsMade, { scale: retryScale }) ?? -1;
      },
    },
  });
  worker.on('error', (err) => options.log?.error({ err }, 'webhook delivery worker error'));
  worker.on('failed', (job, err) => {
    if (job && !(err instanceof DeliveryAttemptFailedError) && !(err instanceof UnrecoverableError)) {
      options.log?.error({ err, deliveryId: job.data.delivery_id }, 'webhook delivery attempt crashed');
    }
  });

  let closing: Promise<void> | undefined;
  return {
    worker,
    close(): Promise<void> {
      closing ??= worker.close();
      return closing;
    },
  };
}

function attemptRecord(result: AttemptResult, delayMs: number | null) {
  const now = Date.now();
  return {
    at: new Date(now - result.durationMs).toISOString(),
    status_code: result.statusCode,
    duration_ms: result.durationMs,
    error: result.error,
    next_try_at: delayMs === null ? null : new Date(now + delayMs).toISOString(),
  };
}
