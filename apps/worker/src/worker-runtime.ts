import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import pino, { type Logger } from 'pino';
import { noopDatasetNotifier, noopNotifier, type DatasetNotifier, type JobNotifier } from '@flowfarm/contracts';
import { DATASET_CHUNK_JOB, DatasetStore, JobLifecycle, RenderQueues, WorkerRegistry, createRedisConnection, datasetQueueName, farmKeys, pingRedis, reapDeadWorkers, renderQueueName, startChore, startSharedFolderProbe, toJobView, type DatasetJobData, type RenderToken } from '@flowfarm/queue';
import { createStorage, loadOrCreateSigningSecret, storageConfigFromEnv } from '@flowfarm/storage';
import { jobLifecycleMetrics, setTenantLabelCap, startMetricsServer } from '@flowfarm/metrics';
import type { Redis } from 'ioredis';
import { AuditLog } from '@flowfarm/trust';
import { CancelWatch } from './cancel-watch.js';
import { FairJumpWatch } from './fair-jump-watch.js';
import { batcherOptions, bullConcurrency, type WorkerConfig } from './config.js';
import { startHeartbeat } from './heartbeat.js';
import { limitsOf, loadModels } from './model-catalog.js';
import { RenderBatcher } from './render-batcher.js';
import { RenderQueueWorker } from './render-queue-worker.js';
import { OutputProtection } from './output-protection.js';
import { createRenderProcessor } from './render-processor.js';
import { createDatasetProcessor } from './dataset-processor.js';
import { startRetentionSweeper } from './retention-sweeper.js';

export interface StartWorkerOptions {
  logger?: Logger;
  /** A notifier, or a factory that gets the worker's Redis connection and prefix. */
  notifier?: JobNotifier | ((ctx: { redis: Redis; prefix: string; config: WorkerConfig }) => JobNotifier);
  /** dataset.succeeded / dataset.failed / dataset.canceled: a notifier or a factory, as for `notifier`. */
  datasetNotifier?: DatasetNotifier | ((ctx: { redis: Redis; prefix: string; config: WorkerConfig }) => DatasetNotifier);
}

export interface RunningWorker {
  id: string;
  metricsPort: number;
  logger: Logger;
  /**
   * Stops pulling jobs, lets the running ones finish, then disconnects. Resolves 'drained', or
   * 'timeout' when jobs were still running at the deadline (their locks expire and another
   * worker takes them over). Idempotent: a second call returns the same promise.
   */
  close(timeoutMs?: number): Promise<'drained' | 'timeout'>;
}

/** Loads the models, then serves their queues until closed. */
export async function startWorker(config: WorkerConfig, options: StartWorkerOptions = {}): Promise<RunningWorker> {
  const id = config.WORKER_ID ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const logger = options.logger ?? pino({ level: config.LOG_LEVEL, name: 'flowfarm-worker' }).child({ workerId: id });
  const onError = (err: Error) => logger.error({ err }, 'redis error');
  const redis = createRedisConnection(config.REDIS_URL, { name: `flowfarm-worker-${id}`, onError });
  const subscriber = createRedisConnection(config.REDIS_URL, { name: `flowfarm-worker-cancel-${id}`, onError });
  const keys = farmKeys(config.REDIS_PREFIX);
  const registry = new WorkerRegistry(redis, keys);
  const signingSecret = config.STORAGE === 'local' ? (config.FILES_SIGNING_SECRET ?? loadOrCreateSigningSecret(config.DATA_DIR)) : '';
  const apiBaseUrl = (config.PUBLIC_URL ?? 'http://localhost:8080').replace(/\/$/, '');
  const storage = createStorage(storageConfigFromEnv(config, signingSecret, apiBaseUrl));
  const notifier = typeof options.notifier === 'function' ? options.notifier({ redis, prefix: config.REDIS_PREFIX, config }) : (options.notifier ?? noopNotifier);
  const queues = new RenderQueues(redis, keys, { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS }, onError);
  const lifecycle = new JobLifecycle(redis, keys, queues, {
    retentionMs: config.JOB_RETENTION_SECONDS * 1000,
    notifier,
    observer: jobLifecycleMetrics,
    view: (record) => toJobView(record, { apiBaseUrl, outputUrl: async (key) => absolute(await storage.url(key)) }),
    fault: config.FLOWFARM_FAULT,
    onError: (err, context) => logger.error({ err }, context),
  });
  const absolute = (url: string) => (url.startsWith('/') ? `${apiBaseUrl}${url}` : url);
  const store = lifecycle.store;

  // Local storage: refuse to start when the API serves files from a folder this process cannot see.
  const probe =
    config.STORAGE === 'local'
      ? await startSharedFolderProbe(redis, keys, path.join(config.DATA_DIR, 'files'), 'worker', id).catch((err: unknown) => {
          redis.disconnect();
          subscriber.disconnect();
          throw err;
        })
      : null;
  setTenantLabelCap(config.METRICS_TENANT_LABELS);
  const models = await loadModels(config, logger);
  const cancels = new CancelWatch(subscriber, keys.cancelChannel);
  await cancels.start();
  const current = new Set<string>();
  // each model's batcher learns from its queue worker (below) whether the queue had jobs left
  const queueEmpty = new Map<string, () => boolean>();
  const renderers = new Map([...models].map(([name, model]) => [name, new RenderBatcher(model, { ...batcherOptions(config), queueEmpty: () => queueEmpty.get(name)?.() ?? false })]));
  // A job that jumped a busy queue: a worker whose render slots are all busy takes it at once
  // (makeRoom) and renders it beside the batch in render (the batcher's express slot).
  const queueWorkers = new Map<string, RenderQueueWorker<RenderToken>>();
  const jumps = new FairJumpWatch(subscriber, keys.fairJumpChannel, (model) => {
    if (renderers.get(model)?.expressIdle) queueWorkers.get(model)?.makeRoom();
  });
  await jumps.start();
  const protection = await OutputProtection.create(config, redis, new Map([...models].map(([name, m]) => [name, { name, dir: m.dir, manifest: m.manifest }])), logger);
  const { processRenderJob, failAbandoned } = createRenderProcessor({
    lifecycle, storage, cancels, renderers, logger, workerId: id, progressIntervalMs: config.PROGRESS_INTERVAL_MS, current, protection,
    jumped: (jobId) => jumps.take(jobId),
    audit: new AuditLog(redis, config.REDIS_PREFIX, config.AUDIT_RETENTION_SECONDS * 1000),
  });

  // Datasets: chunks wait in the render queue (fair share with the farm's jobs), one rendering
  // per model at a time; the dataset queue holds the finalize jobs.
  const datasets = new DatasetStore(redis, keys, { retentionMs: config.JOB_RETENTION_SECONDS * 1000 });
  const datasetNotifier = typeof options.datasetNotifier === 'function' ? options.datasetNotifier({ redis, prefix: config.REDIS_PREFIX, config }) : (options.datasetNotifier ?? noopDatasetNotifier);
  const { processDatasetJob, processChunkJob, chunkFailed, finalizeFailed } = createDatasetProcessor({ datasets, storage, models, logger, notifier: datasetNotifier, apiBaseUrl });
  const concurrency = bullConcurrency(config);
  const workers = [...models.keys()].map((model) => {
    // A render job gives its place in the concurrency back when its render ends (rendered), so
    // the next batch is taken while this one's outputs are stored; one batch's worth per render
    // slot may be in that bookkeeping at once.
    const processRenderQueueJob = (job: Job<RenderToken>, token?: string) =>
      job.name === DATASET_CHUNK_JOB ? processChunkJob(job as unknown as Job<DatasetJobData>, token) : processRenderJob(job, () => worker.rendered(token));
    const worker: RenderQueueWorker<RenderToken> = new RenderQueueWorker<RenderToken>(renderQueueName(model), processRenderQueueJob, {
      connection: redis as unknown as ConnectionOptions,
      prefix: keys.bullPrefix,
      concurrency,
      lockDuration: config.LOCK_DURATION_MS,
      stalledInterval: config.STALLED_INTERVAL_MS,
      maxStalledCount: config.MAX_STALLED_COUNT,
      name: id,
      maxReleased: config.BATCH_MAX > 1 ? config.WORKER_CONCURRENCY * config.BATCH_MAX : config.WORKER_CONCURRENCY,
    });
    queueEmpty.set(model, () => worker.queueEmpty);
    queueWorkers.set(model, worker);
    worker.onQueueEmpty = () => renderers.get(model)?.queueDrained();
    worker.on('error', (err) => logger.error({ err, model }, 'bullmq worker error'));
    worker.on('stalled', (jobId) => logger.warn({ jobId, model }, 'job stalled (its worker died); handed to another worker'));
    worker.on('failed', (job, err) => {
      if (!job) return;
      if (job.name === DATASET_CHUNK_JOB) {
        void chunkFailed(job as unknown as Job<DatasetJobData>, err).catch((e: unknown) => logger.error({ err: e, jobId: job.id }, 'could not queue a failed dataset chunk again'));
        return;
      }
      // for good: failed, or already removed (removeOnFail); a retry waits as delayed
      void job.getState().then(
        (state) => (state === 'failed' || state === 'unknown' ? failAbandoned(job.data.jobId, err.message) : undefined),
        () => {},
      );
    });
    return worker;
  });

  const datasetWorkers = [...models.keys()].map((model) => {
    const worker = new Worker<DatasetJobData>(datasetQueueName(model), processDatasetJob, {
      connection: redis as unknown as ConnectionOptions,
      prefix: keys.bullPrefix,
      concurrency: 1,
      lockDuration: config.LOCK_DURATION_MS,
      stalledInterval: config.STALLED_INTERVAL_MS,
      maxStalledCount: config.MAX_STALLED_COUNT,
      name: `${id}-datasets`,
    });
    worker.on('error', (err) => logger.error({ err, model }, 'bullmq dataset worker error'));
    worker.on('failed', (job, err) => {
      if (job) void finalizeFailed(job, err).catch((e: unknown) => logger.error({ err: e, jobId: job.id }, 'could not queue a failed dataset finalize again'));
    });
    return worker;
  });
  workers.push(...(datasetWorkers as unknown as typeof workers));

  const state = { id, models: [...models.values()].map(limitsOf), concurrency, current, startedAt: new Date().toISOString(), draining: false };
  const heartbeat = startHeartbeat(registry, state, config.HEARTBEAT_INTERVAL_MS, config.HEARTBEAT_TTL_MS, logger);
  await heartbeat.beat();
  const sweeper = startRetentionSweeper(store, storage, config.RETENTION_SWEEP_INTERVAL_MS, logger, datasets);
  // Fast takeover: jobs of workers whose heartbeat expired go back to the queue at once, through
  // BullMQ's own stalled-job move run by one of this worker's queue workers. API processes run the
  // same chore (one process at a time holds its lock), so it runs with no worker alive too.
  const renderWorkers = new Map([...models.keys()].map((model, i) => [model, workers[i]]));
  const takeover = startChore(
    redis,
    keys,
    'takeover',
    config.TAKEOVER_INTERVAL_MS,
    async () => {
      const handedBack = await reapDeadWorkers(
        redis,
        keys,
        async (model) => {
          const worker = renderWorkers.get(model) as unknown as { moveStalledJobsToWait?: () => Promise<void> } | undefined;
          // BullMQ's periodic stalled check (the backstop) moves them when this is not available
          await worker?.moveStalledJobsToWait?.();
        },
        (jobId, model, deadWorker) => lifecycle.abandoned(jobId, model, deadWorker),
      );
      if (handedBack.length) logger.warn({ jobs: handedBack }, 'jobs of a dead worker handed back to the queue');
    },
    (err) => logger.warn({ err }, 'takeover check failed'),
  );
  const metrics = await startMetricsServer(config.METRICS_PORT, config.METRICS_HOST, async () => {
    const checks = await Promise.allSettled([pingRedis(redis), storage.check()]);
    const [redisOk, storageOk] = checks.map((c) => c.status === 'fulfilled');
    return { ok: redisOk && storageOk && !state.draining, detail: { redis: redisOk ? 'ok' : 'down', storage: storageOk ? 'ok' : 'down', draining: String(state.draining) } };
  });
  logger.info({ models: [...models.keys()], concurrency, metricsPort: metrics.port, prefix: config.REDIS_PREFIX }, 'worker ready');

  let closing: Promise<'drained' | 'timeout'> | null = null;
  const close = (timeoutMs = config.SHUTDOWN_TIMEOUT_MS) =>
    (closing ??= (async () => {
      state.draining = true;
      await heartbeat.beat();
      logger.info({ running: [...current] }, 'draining: no new jobs, finishing the running ones');
      let timer: NodeJS.Timeout | undefined;
      const drained = Promise.all(workers.map((w) => w.close())).then(() => 'drained' as const);
      const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      const outcome = await Promise.race([drained, deadline]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        logger.warn({ running: [...current] }, 'drain deadline passed; leaving running jobs to another worker');
        for (const jobId of current) cancels.abort(jobId);
        await Promise.allSettled(workers.map((w) => w.close(true)));
      }
      const steps: Array<() => Promise<unknown>> = [
        () => takeover.stop(),
        () => heartbeat.stop(),
        () => queues.close(),
        async () => probe?.close(),
        () => sweeper.stop(),
        () => metrics.close(),
        async () => cancels.close(),
        async () => (notifier as JobNotifier & { close?: () => Promise<void> }).close?.(),
        async () => (datasetNotifier as DatasetNotifier & { close?: () => Promise<void> }).close?.(),
        () => datasets.close(),
        () => redis.quit(),
        () => Promise.all([...models.values()].map((m) => m.close())),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          logger.warn({ err }, 'shutdown step failed');
        }
      }
      logger.info({ outcome }, 'worker stopped');
      return outcome;
    })());

  return { id, metricsPort: metrics.port, logger, close };
}
