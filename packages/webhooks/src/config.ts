// Webhook settings, as a zod fragment the api's and worker's config.ts spread into their own
// schema (config is parsed once per process, in main.ts; this package never reads the env).
import { z } from 'zod';

const booleanString = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

export const webhookConfigShape = {
  /** Allow webhook URLs on loopback/private/link-local networks (local setups, tests). Off by default: SSRF guard. */
  WEBHOOK_ALLOW_PRIVATE: booleanString.default(false),
  /** How long one delivery attempt may take before it counts as failed (Standard Webhooks receivers answer fast). */
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /** Multiplies the retry schedule (1 = immediately, 5 s, 5 min … 24 h); tests use a tiny factor. */
  WEBHOOK_RETRY_SCALE: z.coerce.number().positive().default(1),
  /** Run the webhook delivery worker inside this process (the api); `flowfarm webhooks` runs it alone. */
  WEBHOOK_DELIVERY: booleanString.default(true),
  /** Deliveries one process sends at the same time (they wait on the network, not the CPU). */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().positive().default(16),
};

export const webhookConfigSchema = z.object(webhookConfigShape);
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
