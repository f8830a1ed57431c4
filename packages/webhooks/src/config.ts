// Webhook settings, as a zod fragment the api's, worker's and `flowfarm webhooks`' config
// schemas spread into their own (config is parsed once per process, in main.ts; this package
// never reads the environment).
import { z } from 'zod';
import { envBoolean } from '@flowfarm/contracts';

export const webhookConfigShape = {
  WEBHOOK_ALLOW_PRIVATE: envBoolean
    .default(false)
    .describe('allow webhook URLs on loopback/private networks (local setups, tests); off = SSRF guard on; metadata and link-local addresses stay refused'),
  WEBHOOK_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(15_000)
    .describe('time one webhook delivery attempt may take before it counts as failed'),
  WEBHOOK_RETRY_SCALE: z.coerce
    .number()
    .positive()
    .default(1)
    .describe('multiplies the webhook retry schedule (immediately, 5 s, 5 min … 24 h); tests use a tiny factor'),
  WEBHOOK_DELIVERY: envBoolean
    .default(true)
    .describe('run the webhook delivery worker in this API process (false when `flowfarm webhooks` processes do it)'),
  WEBHOOK_CONCURRENCY: z.coerce
    .number()
    .int()
    .positive()
    .default(16)
    .describe('webhook deliveries one process sends at the same time (network-bound, not CPU)'),
};

export const webhookConfigSchema = z.object(webhookConfigShape);
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

/** The delivery worker's options from a parsed config. */
export function deliveryOptionsFrom(config: WebhookConfig) {
  return {
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    retryScale: config.WEBHOOK_RETRY_SCALE,
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
    concurrency: config.WEBHOOK_CONCURRENCY,
  };
}
