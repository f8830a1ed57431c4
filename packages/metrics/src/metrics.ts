// Every flowfarm metric, defined once. The API and the workers import the same objects, so a
// name or label set cannot drift between processes, and the dashboards/alerts in infra/ are
// checked against this file by test/infra.test.ts.
//
// prom-client metrics are process-global: registering the same name twice throws. The
// registry and metrics are therefore kept on globalThis under a Symbol.for key, so that a
// second evaluation of this module (a test runner's module reset, two copies of the package)
// gets the existing objects instead of crashing.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** States reported by `flowfarm_queue_jobs{state}` (BullMQ's names). */
export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** Stages reported by `flowfarm_pipeline_stage_seconds{stage}`. */
export const PIPELINE_STAGES = ['encode', 'step', 'decode', 'encode_image', 'provenance', 'upload'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

/** Job latencies: 10 ms to 10 min. */
export const JOB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** One denoising step of a tiny CPU model is ~1 ms; a FLUX decode on CPU is minutes. */
export const STAGE_BUCKETS = [0.001, 0.005, ...JOB_BUCKETS];
/** HTTP requests, including `Prefer: wait=60` holds. */
export const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Webhook POSTs time out after a few seconds. */
export const WEBHOOK_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Called on every scrape of the queue gauges; see queue-collector.ts. */
export type ScrapeHook = () => Promise<void>;

function define() {
  const registry = new Registry();
  const registers = [registry];
  // Queue gauges are filled on scrape by whichever collectors are installed in this process.
  const scrapeHooks = new Set<ScrapeHook>();
  async function runScrapeHooks(): Promise<void> {
    await Promise.all([...scrapeHooks].map((hook) => hook()));
  }
  // One refresh serves the three gauges that share a scrape (they are collected one after
  // another); the collector's own cache makes the 2nd and 3rd call free.
  const collect = runScrapeHooks;

  const m = {
    registry,
    scrapeHooks,
    jobsSubmitted: new Counter({
      name: 'flowfarm_jobs_submitted_total',
      help: 'Jobs accepted by the API (202), by model.',
      labelNames: ['model'] as const,
      registers,
    }),
    jobsFinished: new Counter({
      name: 'flowfarm_jobs_finished_total',
      help: 'Jobs that reached a terminal status (succeeded, failed, canceled, moderated), by model.',
      labelNames: ['model', 'status'] as const,
      registers,
    }),
    queueJobs: new Gauge({
      name: 'flowfarm_queue_jobs',
      help: 'Jobs in the BullMQ queue of a model, by state (refreshed at most once per scrape interval).',
      labelNames: ['model', 'state'] as const,
      registers,
      collect,
    }),
    queueOldestWaitingSeconds: new Gauge({
      name: 'flowfarm_queue_oldest_waiting_seconds',
      help: 'Age of the oldest job waiting for a worker, per model (0 when none waits).',
      labelNames: ['model'] as const,
      registers,
      collect,
    }),
    jobQueueWait: new Histogram({
      name: 'flowfarm_job_queue_wait_seconds',
      help: 'Time from submit until a worker started the job.',
      labelNames: ['model'] as const,
      buckets: JOB_BUCKETS,
      registers,
    }),
    jobRun: new Histogram({
      name: 'flowfarm_job_run_seconds',
      help: 'Run time of job attempts that succeeded (pipeline + upload); failed attempts are not timed.',
      labelNames: ['model'] as const,
      buckets: JOB_BUCKETS,
      registers,
    }),
    jobE2e: new Histogram({
      name: 'flowfarm_job_e2e_seconds',
      help: 'Time from submit until the job reached a terminal status.',
      labelNames: ['model'] as const,
      buckets: JOB_BUCKETS,
      registers,
    }),
    pipelineStage: new Histogram({
      name: 'flowfarm_pipeline_stage_seconds',
      help: 'Time spent in one pipeline stage (encode, step, decode, encode_image, provenance, upload), per execution provider.',
      labelNames: ['model', 'stage', 'provider'] as const,
      buckets: STAGE_BUCKETS,
      registers,
    }),
    imagesGenerated: new Counter({
      name: 'flowfarm_images_generated_total',
      help: 'Images generated and stored.',
      labelNames: ['model'] as const,
      registers,
    }),
    workerBusy: new Gauge({
      name: 'flowfarm_worker_busy',
      help: 'Jobs this worker process is running now, per model (0 when idle).',
      labelNames: ['model'] as const,
      registers,
    }),
    workers: new Gauge({
      name: 'flowfarm_workers',
      help: 'Live workers serving a model, counted from their heartbeats.',
      labelNames: ['model'] as const,
      registers,
      collect,
    }),
    modelLoad: new Gauge({
      name: 'flowfarm_model_load_seconds',
      help: 'Seconds this worker took to load a model (ONNX sessions + tokenizers), with the execution provider it runs on.',
      labelNames: ['model', 'provider'] as const,
      registers,
    }),
    webhookDeliveries: new Counter({
      name: 'flowfarm_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by event type and outcome (success, retry, failed, blocked).',
      labelNames: ['event', 'outcome'] as const,
      registers,
    }),
    webhookDeliverySeconds: new Histogram({
      name: 'flowfarm_webhook_delivery_seconds',
      help: 'Duration of one webhook POST attempt.',
      buckets: WEBHOOK_BUCKETS,
      registers,
    }),
    tenantImages: new Counter({
      name: 'flowfarm_tenant_images_total',
      help: 'Images of succeeded jobs, by tenant (the first METRICS_TENANT_LABELS tenants a process sees; the rest as "other").',
      labelNames: ['tenant'] as const,
      registers,
    }),
    tenantMegapixelSteps: new Counter({
      name: 'flowfarm_tenant_megapixel_steps_total',
      help: 'Megapixel-steps (width × height × steps / 10⁶ × images) of succeeded jobs, by tenant (bounded as flowfarm_tenant_images_total).',
      labelNames: ['tenant'] as const,
      registers,
    }),
    tenantGpuSeconds: new Counter({
      name: 'flowfarm_tenant_gpu_seconds_total',
      help: 'Render seconds of succeeded jobs (a batch shares its time among its jobs), by tenant (bounded as flowfarm_tenant_images_total).',
      labelNames: ['tenant'] as const,
      registers,
    }),
    jobsExpired: new Counter({
      name: 'flowfarm_jobs_expired_total',
      help: 'Jobs that ended expired: not started before their deadline (start_timeout, Cancel-After), by model.',
      labelNames: ['model'] as const,
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: 'flowfarm_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: HTTP_BUCKETS,
      registers,
    }),
  };
  collectDefaultMetrics({ register: registry, prefix: 'flowfarm_' });
  return m;
}

type Metrics = ReturnType<typeof define>;
const GLOBAL_KEY = Symbol.for('flowfarm.metrics.v2');
const holder = globalThis as unknown as { [GLOBAL_KEY]?: Metrics };
const metrics: Metrics = (holder[GLOBAL_KEY] ??= define());

export const {
  registry,
  scrapeHooks,
  jobsSubmitted,
  jobsFinished,
  queueJobs,
  queueOldestWaitingSeconds,
  jobQueueWait,
  jobRun,
  jobE2e,
  pipelineStage,
  imagesGenerated,
  workerBusy,
  workers,
  modelLoad,
  webhookDeliveries,
  webhookDeliverySeconds,
  tenantImages,
  tenantMegapixelSteps,
  tenantGpuSeconds,
  jobsExpired,
  httpRequestDuration,
} = metrics;

/** Every metric name defined here (without the Node default metrics), for the infra checks. */
export const METRIC_NAMES: readonly string[] = [
  jobsSubmitted, jobsFinished, queueJobs, queueOldestWaitingSeconds, jobQueueWait, jobRun, jobE2e,
  pipelineStage, imagesGenerated, workerBusy, workers, modelLoad, webhookDeliveries,
  webhookDeliverySeconds, tenantImages, tenantMegapixelSteps, tenantGpuSeconds, jobsExpired, httpRequestDuration,
].map((metric) => (metric as unknown as { name: string }).name);
