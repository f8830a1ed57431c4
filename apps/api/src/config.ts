import path from 'node:path';
import { z } from 'zod';
import { envBoolean, farmEnvSchema, withClusterSafePrefix } from '@flowfarm/contracts';
import { webDistDir } from '@flowfarm/web/dist-dir';
import { webhookConfigShape } from '@flowfarm/webhooks';

/** Environment of an API process (plus the farm-wide variables in farmEnvSchema). */
export const apiConfigSchema = farmEnvSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080).describe('HTTP port of the API'),
  HOST: z.string().default('0.0.0.0').describe('interface the API listens on'),
  API_KEYS: z
    .string()
    .default('')
    .describe('static keys for simple setups: "key:tenant,key2:tenant2" (keys made with `flowfarm keys create` live hashed in Redis)'),
  ADMIN_API_KEY: z.string().optional().describe('key for operator routes (/v1/admin/*, /ops); unset disables them'),
  MAX_ACTIVE_JOBS_PER_TENANT: z.coerce.number().int().min(1).default(24).describe('queued+running jobs a tenant may have; more → 429'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600).describe('requests per API key per minute, shared by all API replicas through Redis; more → 429'),
  MAX_WAIT_SECONDS: z.coerce.number().int().min(0).max(60).default(60).describe('longest `Prefer: wait=N` honoured'),
  SSE_HEARTBEAT_SECONDS: z.coerce.number().positive().default(15).describe('comment line sent on idle event streams so proxies keep them open'),
  DEFAULT_MODEL: z.string().optional().describe('model used when a job names none (default: the first model served)'),
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().positive().default(86_400).describe('how long an Idempotency-Key is remembered'),
  BODY_LIMIT: z.string().default('64kb').describe('largest request body; more → 413 (POST /v1/jobs: JOB_BODY_LIMIT)'),
  JOB_BODY_LIMIT: z.string().default('9mb').describe('largest POST /v1/jobs body, sized for an image-to-image `image` data URL (6 MB decoded); more → 413'),
  VERIFY_BODY_LIMIT: z.string().default('25mb').describe('largest image POST /v1/verify accepts; more → 413'),
  DEADLINE_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).default(1000).describe('how often the API ends jobs past their start deadline (start_timeout, Cancel-After) as expired, even when no worker is free'),
  // Resolved once, here: absolute (a relative folder against the working directory).
  WEB_DIST_DIR: z
    .string()
    .optional()
    .transform((value) => path.resolve(value || webDistDir))
    .describe('folder of the built web UI served at / and /ops (index.html, ops.html, assets/); default: the build folder of the @flowfarm/web package (apps/web/dist)'),
  EXIT_WITH_PARENT: envBoolean.default(false).describe('drain and exit when the parent process dies (set by `flowfarm api` and `flowfarm up`, so the API never outlives its launcher)'),
  TRUST_PROXY: z.string().default('loopback').describe("Express 'trust proxy' setting (for client IPs and https links behind a proxy)"),
  // WEBHOOK_ALLOW_PRIVATE, WEBHOOK_TIMEOUT_MS, WEBHOOK_RETRY_SCALE, WEBHOOK_DELIVERY, WEBHOOK_CONCURRENCY
  ...webhookConfigShape,
});
export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function loadConfig(env: Record<string, string | undefined>): ApiConfig {
  return withClusterSafePrefix(apiConfigSchema.parse(env));
}

/** `key:tenant,…` → Map(key → tenant). */
export function parseStaticKeys(value: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const entry of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = entry.lastIndexOf(':');
    if (at <= 0 || at === entry.length - 1) throw new Error(`API_KEYS entry "${entry.slice(0, 4)}…" is not key:tenant`);
    keys.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return keys;
}
