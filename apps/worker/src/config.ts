import os from 'node:os';
import { z } from 'zod';
import { envBoolean, envPath, farmEnvSchema, withClusterSafePrefix } from '@flowfarm/contracts';
import { webhookConfigShape } from '@flowfarm/webhooks';

const list = z
  .string()
  .default('')
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** Environment of a worker process (plus the farm-wide variables in farmEnvSchema). */
export const workerConfigSchema = farmEnvSchema.extend({
  MODELS_DIR: envPath('./models').describe('folder with one subfolder per model (model.json + ONNX + tokenizer files), resolved to an absolute path at start'),
  MODELS: list.describe('models this worker loads and serves, comma-separated (default: every model in MODELS_DIR)'),
  WORKER_ID: z.string().optional().describe('name in heartbeats and logs (default: host-pid-random)'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).default(1).describe('renders (batches) one worker runs at the same time per model'),
  WORKERS_PER_HOST: z.coerce.number().int().min(1).default(1).describe('worker processes sharing this machine\'s cores (`flowfarm up` sets it to WORKERS); the automatic INTRA_OP_THREADS divides the cores among them'),
  BATCH_MAX: z.coerce.number().int().min(1).default(4).describe('most same-shape jobs one render runs as a batch (1 = no batching). Jobs that queue while the model is busy start together as the next batch; a job that finds the model free starts at once'),
  BATCH_PREFETCH: envBoolean.default(false).describe('take the next batch\'s jobs from the queue while the current batch renders (the model never waits for Redis between batches, but the jobs held meanwhile cannot be overtaken: another tenant\'s new job waits for two batches instead of one). Off: the worker takes the next jobs when a batch ends and briefly waits for them to fill the next batch; the jobs it holds are claimed (queued) until their batch starts'),
  BATCH_WINDOW_MS: z.coerce.number().int().min(0).default(0).describe('how long a batch that is not full may wait for same-shape companions before it starts, from its oldest job (0 = never wait: a lone job starts at once; >0 trades that latency for fuller batches when jobs arrive a little apart)'),
  EXECUTION_PROVIDERS: list.describe('onnxruntime execution providers in order of preference; the model loads on the first that starts. Entries: cpu, webgpu, cuda[:device], tensorrt[:device], each with ;-options mem=<MiB> (memory check at load), and for tensorrt fp16 and cache=<dir>; e.g. "tensorrt:0;fp16;cache=/cache/trt,cuda:0;mem=70000,cpu" (default cpu)'),
  LATENTS: z.enum(['auto', 'host', 'device']).default('auto').describe('where latents stay between flow steps: device (on the execution provider; the Euler update runs there), host (copied to JavaScript each step), auto (device on GPU providers)'),
  INTRA_OP_THREADS: z.coerce.number().int().min(0).default(0).describe('onnxruntime intra-op threads per session (0 = automatic: the cores this process may use ÷ (WORKERS_PER_HOST × WORKER_CONCURRENCY), at least 1)'),
  LOCK_DURATION_MS: z.coerce.number().int().min(500).default(30_000).describe('BullMQ job lock; renewed while a job runs, expires when the worker dies'),
  STALLED_INTERVAL_MS: z.coerce.number().int().min(200).default(30_000).describe('how often workers look for jobs whose worker died'),
  HEARTBEAT_INTERVAL_MS: z.coerce.number().int().min(100).default(2000).describe('how often the worker announces itself and its models'),
  HEARTBEAT_TTL_MS: z.coerce.number().int().min(300).default(6000).describe('a worker not heard from for this long is gone: its running jobs go back to the queue at once'),
  PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).default(200).describe('a job\'s progress is written at most this often after its first step (the final step\'s event comes with the success)'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(25_000).describe('SIGTERM: time to finish the current jobs before exiting (keep below the orchestrator grace period)'),
  RETENTION_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000).describe('how often finished jobs past JOB_RETENTION_SECONDS are removed'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464).describe('port of /healthz, /readyz and /metrics (0 = any free port)'),
  METRICS_HOST: z.string().default('0.0.0.0').describe('interface of the metrics server'),
  METRICS_TENANT_LABELS: z.coerce.number().int().min(0).default(20).describe('tenants that get their own label on the per-tenant usage metrics (the first this process sees); the rest count as tenant="other"'),
  EXIT_WITH_PARENT: envBoolean.default(false).describe('drain and exit when the parent process dies (set by `flowfarm up` and the tests, so workers never outlive them)'),
  PROVENANCE: envBoolean.default(true).describe('sign every output (PNG, JPEG, WebP) with the farm\'s Ed25519 key (a provenance record in the file; public keys at /.well-known/flowfarm-keys.json)'),
  PROVENANCE_SIGNING_KEY: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .describe('Ed25519 private key (PKCS#8 PEM) for provenance; default: created once under DATA_DIR/provenance. A new key rotates: old public keys stay published'),
  OUTPUT_MODERATION: envBoolean.default(false).describe('run the output check a model declares in its model.json (`moderation`: an image classifier); a flagged render ends the job moderated and nothing is stored. Off by default while the shipped model carries only a stand-in classifier (it flags some red circles)'),
  WATERMARK: envBoolean.default(true).describe('embed the invisible 32-bit watermark (linked to the job) in every output'),
  ...webhookConfigShape,
});
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/**
 * onnxruntime intra-op threads of each session: INTRA_OP_THREADS, or with 0 this worker's share
 * of the cores. Each concurrent render of each worker process on the machine runs its operators
 * on its own pool; more threads than cores in total make them wait for each other (and spin),
 * which measured slower than one thread each.
 */
export function intraOpThreads(config: Pick<WorkerConfig, 'INTRA_OP_THREADS' | 'WORKERS_PER_HOST' | 'WORKER_CONCURRENCY'>, cores = os.availableParallelism()): number {
  if (config.INTRA_OP_THREADS > 0) return config.INTRA_OP_THREADS;
  return Math.max(1, Math.floor(cores / (config.WORKERS_PER_HOST * config.WORKER_CONCURRENCY)));
}

/** Longest wait for the next batch to fill up after a full one (BATCH_PREFETCH off); it adapts below this. */
export const BATCH_REFILL_LIMIT_MS = 250;

/** How a model's renders are batched and run (see render-batcher.ts). */
export function batcherOptions(config: Pick<WorkerConfig, 'BATCH_MAX' | 'BATCH_WINDOW_MS' | 'WORKER_CONCURRENCY' | 'BATCH_PREFETCH'>) {
  return { maxBatch: config.BATCH_MAX, windowMs: config.BATCH_WINDOW_MS, slots: config.WORKER_CONCURRENCY, refillMs: config.BATCH_MAX > 1 && !config.BATCH_PREFETCH ? BATCH_REFILL_LIMIT_MS : 0 };
}

/**
 * Jobs BullMQ hands one worker at once per model queue: a batch's worth per render slot, so the
 * jobs a worker holds are the ones it renders now or next (another tenant's job that arrives
 * meanwhile waits for one batch, not two). With BATCH_PREFETCH one more batch's worth, so the next
 * batch is there the moment the model is free. Without batching: one job per render slot.
 */
export function bullConcurrency(config: Pick<WorkerConfig, 'BATCH_MAX' | 'WORKER_CONCURRENCY' | 'BATCH_PREFETCH'>): number {
  if (config.BATCH_MAX <= 1) return config.WORKER_CONCURRENCY;
  return (config.WORKER_CONCURRENCY + (config.BATCH_PREFETCH ? 1 : 0)) * config.BATCH_MAX;
}

export function loadConfig(env: Record<string, string | undefined>): WorkerConfig {
  return withClusterSafePrefix(workerConfigSchema.parse(env));
}
