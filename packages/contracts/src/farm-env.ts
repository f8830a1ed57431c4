import path from 'node:path';
import { z } from 'zod';

/** `true/false/1/0/yes/no` from an environment variable. */
export const envBoolean = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', ''])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

/**
 * A folder or file setting, resolved against the working directory once, when the config is
 * parsed: every later use (res.sendFile, a child process with another cwd, a log line) sees
 * the same absolute path. `fallback` is what an unset variable means.
 */
export const envPath = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => path.resolve(value));

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

/**
 * Settings every farm process (api and worker) shares: where Redis is, where results go, how
 * long jobs are kept. Each app's `config.ts` extends this with its own variables.
 */
export const farmEnvSchema = z.object({
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .describe(
      'Redis that holds queues, job records and events: redis://[user:password@]host:port[/db], rediss:// for TLS, or redis+cluster://[user:password@]host:port,host:port (rediss+cluster:// for TLS) for a Redis Cluster through its seed nodes',
    ),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.{}-]+$/)
    .default('flowfarm')
    .describe('prefix of every Redis key; on a Redis Cluster a prefix without a hash tag is used as one ({flowfarm}), so every key of the farm shares one hash slot'),
  DATA_DIR: envPath('./.data').describe(
    'local data folder (local storage files, signing secret, private Redis), resolved to an absolute path at start; with STORAGE=local the API and every worker must see the same folder (one machine, or a shared volume)',
  ),
  PUBLIC_URL: optionalString.describe('public base URL of the API, used in links sent to clients (default: from the request; workers: http://localhost:8080)'),
  STORAGE: z.enum(['local', 's3']).default('local').describe('where images are stored: local disk served by the API, or S3-compatible storage'),
  FILES_SIGNING_SECRET: optionalString.describe('HMAC key for local file URLs, shared by api and workers (default: generated once under DATA_DIR)'),
  URL_TTL_SECONDS: z.coerce.number().int().positive().default(3600).describe('lifetime of result URLs (signed local URLs and S3 presigned GETs)'),
  S3_BUCKET: optionalString.describe('bucket for results (STORAGE=s3)'),
  S3_REGION: z.string().default('us-east-1').describe('S3 region (R2: auto)'),
  S3_ENDPOINT: optionalString.describe('S3 endpoint for MinIO, R2 or others (unset for AWS)'),
  S3_PUBLIC_ENDPOINT: optionalString.describe('endpoint in presigned download URLs when clients reach S3 at another address than S3_ENDPOINT (Docker: http://localhost:9000)'),
  S3_FORCE_PATH_STYLE: envBoolean.default(false).describe('path-style bucket URLs (MinIO, s3rver)'),
  S3_ACCESS_KEY_ID: optionalString.describe('S3 credentials (default: the AWS SDK credential chain)'),
  S3_SECRET_ACCESS_KEY: optionalString.describe('S3 secret key'),
  S3_KEY_PREFIX: z.string().default('').describe('prefix of object keys inside the bucket'),
  JOB_RETENTION_SECONDS: z.coerce.number().int().min(0).default(86_400).describe('finished jobs, their events and files are removed after this long'),
  AUDIT_RETENTION_SECONDS: z.coerce.number().int().min(0).default(2_592_000).describe('how long audit-log entries (tenant, key id, client address, job, moderation outcome at submit or of the output check) are kept; 0 = no audit log'),
  JOB_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3).describe('runs of a job before a transient failure becomes final'),
  JOB_BACKOFF_MS: z.coerce.number().int().min(0).default(2000).describe('first retry delay after a transient failure (doubles per attempt)'),
  MAX_STALLED_COUNT: z.coerce.number().int().min(0).default(2).describe('times a job may be recovered from a dead worker before it fails (workers, and API processes when they hand a dead worker\'s jobs back)'),
  TAKEOVER_INTERVAL_MS: z.coerce.number().int().min(100).default(1000).describe('how often workers and API processes (one at a time) look for dead workers (expired heartbeat) whose jobs to hand back to the queue'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
  FLOWFARM_FAULT: z
    .enum(['submit:after-record', 'start:after-mark', 'finish:before-record', 'finish:after-record', 'stage:before-record', 'stage:after-record', ''])
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .describe('TEST ONLY: the process kills itself (SIGKILL) at this step of the job lifecycle, to show that a crash there loses and doubles nothing (test/farm/crash-window.test.ts); never set it in production'),
});
export type FarmEnv = z.infer<typeof farmEnvSchema>;

/** A `redis+cluster://` or `rediss+cluster://` URL: connect to a Redis Cluster. */
export function isRedisClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//.test(url);
}

/**
 * The key prefix a farm uses on this Redis. A cluster only runs a script or MULTI whose keys
 * share a hash slot, and the farm's scripts (and BullMQ's) touch a job, its queue, its tenant
 * index and its events at once: so on a cluster every key sits under one hash tag. A prefix
 * that has none is wrapped in braces (`flowfarm` → `{flowfarm}`) rather than refused, so the
 * default works everywhere; a farm on a cluster lives in one slot (one primary and its
 * replicas), and several farms (prefixes) spread over the cluster's primaries.
 */
export function clusterSafePrefix(redisUrl: string, prefix: string): string {
  return isRedisClusterUrl(redisUrl) && !/\{[^}]+\}/.test(prefix) ? `{${prefix}}` : prefix;
}

/** A short description of a zod-schema environment for docs: name, default, description. */
export function describeEnv(schema: z.ZodObject): Array<{ name: string; default: string; description: string }> {
  return Object.entries(schema.shape).map(([name, field]) => {
    const json = z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }) as { default?: unknown };
    const def = (field as z.ZodType).def as { type: string; defaultValue?: unknown };
    const value = json.default ?? (def.type === 'default' ? def.defaultValue : undefined);
    const description = (field as z.ZodType).description ?? '';
    return { name, default: value === undefined ? '' : String(value), description };
  });
}

/** A parsed config with its REDIS_PREFIX made cluster-safe (see clusterSafePrefix); each app's loadConfig applies it. */
export function withClusterSafePrefix<T extends { REDIS_URL: string; REDIS_PREFIX: string }>(config: T): T {
  return { ...config, REDIS_PREFIX: clusterSafePrefix(config.REDIS_URL, config.REDIS_PREFIX) };
}
