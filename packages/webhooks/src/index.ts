// @flowfarm/webhooks: Standard Webhooks deliveries for job events — the notifier the api and
// worker call, the delivery worker (api process or `flowfarm webhooks`), the SSRF guard, and
// the per-tenant secret, endpoint and delivery records behind the webhook routes.
export * from './types.js';
export * from './config.js';
export {
  assertWebhookUrlAllowed,
  pinnedLookup,
  alwaysRefusedReason,
  refusalReason,
  resolveWebhookTarget,
  WebhookUrlRefusedError,
  WEBHOOK_URL_REFUSED,
  type CheckedTarget,
  type SsrfOptions,
} from './ssrf-guard.js';
export { MAX_DELIVERY_ATTEMPTS, STANDARD_WEBHOOKS_SCHEDULE_MS, nextRetryDelayMs, parseRetryAfter } from './retry-schedule.js';
export { signWebhook, type SignedHeaders } from './sign-webhook.js';
export { postWebhook, type AttemptResult } from './send-webhook.js';
export {
  DeliveryLog,
  FINAL_DELIVERY_STATUSES,
  type DeliveryAttempt,
  type DeliveryRecord,
  type DeliveryStatus,
} from './delivery-log.js';
export { WebhookEndpointStore, type DisabledInfo, type WebhookEndpoint } from './endpoint-store.js';
export { WebhookSecretStore, ROTATION_OVERLAP_MS, generateWebhookSecret, type SecretView } from './secret-store.js';
export { WEBHOOK_QUEUE, createWebhookQueue, deliveryIdFor, type DeliveryJobData } from './delivery-queue.js';
export { createDatasetWebhookNotifier, type DatasetWebhookNotifier } from './dataset-notifier.js';
export { createWebhookNotifier, webhookPayload, PROGRESS_INTERVAL_MS, type WebhookNotifier, type WebhookNotifierDeps } from './notifier.js';
export {
  startWebhookDeliveryWorker,
  DeliveryAttemptFailedError,
  type DeliveryWorkerOptions,
  type LoggerLike,
  type WebhookDeliveryWorker,
} from './delivery-worker.js';
export { redeliver } from './redelivery.js';
export * from './api-schemas.js';
export { WEBHOOK_ROUTES } from './routes.js';
