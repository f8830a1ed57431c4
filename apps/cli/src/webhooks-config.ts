// Environment of `flowfarm webhooks`, parsed once with zod. Kept apart from config.ts so the
// other commands do not load @flowfarm/webhooks (and BullMQ) just to read their settings.
import type { z } from 'zod';
import { farmEnvSchema } from '@flowfarm/contracts';
import { webhookConfigShape } from '@flowfarm/webhooks';

/** `flowfarm webhooks` (a webhook delivery process): where Redis is, plus the WEBHOOK_* settings. */
export const WebhooksProcessEnv = farmEnvSchema
  .pick({ REDIS_URL: true, REDIS_PREFIX: true, LOG_LEVEL: true })
  .extend(webhookConfigShape);
export type WebhooksProcessConfig = z.infer<typeof WebhooksProcessEnv>;

export function loadWebhooksProcessConfig(env: Record<string, string | undefined> = process.env): WebhooksProcessConfig {
  return WebhooksProcessEnv.parse(env);
}
