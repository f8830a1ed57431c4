// Environment of `flowfarm webhooks`, parsed once with zod. Kept apart from config.ts so the
// other commands do not load @flowfarm/webhooks (and BullMQ) just to read their settings.
import { z } from 'zod';
import { farmEnvSchema, withClusterSafePrefix } from '@flowfarm/contracts';
import { webhookConfigShape } from '@flowfarm/webhooks';

/** `flowfarm webhooks` (a webhook delivery process): where Redis is, plus the WEBHOOK_* settings. */
export const WebhooksProcessEnv = farmEnvSchema
  .pick({ REDIS_URL: true, REDIS_PREFIX: true, LOG_LEVEL: true })
  .extend({
    ...webhookConfigShape,
    // Next to a worker's 9464 by default, so both can run on one host.
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465).describe('port of /healthz, /readyz and /metrics (0 = any free port)'),
    METRICS_HOST: z.string().default('0.0.0.0').describe('interface of the metrics server'),
  });
export type WebhooksProcessConfig = z.infer<typeof WebhooksProcessEnv>;

export function loadWebhooksProcessConfig(env: Record<string, string | undefined> = process.env): WebhooksProcessConfig {
  return withClusterSafePrefix(WebhooksProcessEnv.parse(env));
}
