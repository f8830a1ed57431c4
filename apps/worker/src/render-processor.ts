import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { isTerminalStatus, type JobErrorInfo, type JobEventType, type JobNotifier } from '@flowfarm/contracts';
import { toJobView, type JobRecord, type JobStore, type RenderJobData, type StoredOutput } from '@flowfarm/queue';
import { outputKey, type ResultStorage } from '@flowfarm/storage';
import { countTenantUsage, imagesGenerated, jobE2e, jobQueueWait, jobRun, jobsExpired, jobsFinished, pipelineStage, workerBusy, type PipelineStage } from '@flowfarm/metrics';
import { megapixelSteps } from '@flowfarm/queue';
import type { CancelWatch } from './cancel-watch.js';
import type { OutputProtection, ProtectedOutput } from './output-protection.js';
import type { RenderBatcher } from './render-batcher.js';
import { FILE_EXTENSIONS, renderRequestOf } from './render-request.js';

export interface ProcessorDeps {
  store: JobStore;
  storage: ResultStorage;
  cancels: CancelWatch;
  renderers: Map<string, RenderBatcher>;
  notifier: JobNotifier;
  logger: Logger;
  /** Base of API links in webhook payloads. */
  apiBaseUrl: string;
  /** Jobs running now (for the heartbeat). */
  current: Set<string>;
  /** Watermark and signed provenance for every output (absent: files are stored as rendered). */
  protection?: OutputProtection;
}

const isAbort = (err: unknown) => err instanceof Error && err.name === 'AbortError';
/** A request the model can never serve (the pipeline's PipelineInputError, named across the thread boundary). */
const isPermanent = (err: unknown) => err instanceof Error && err.name === 'PipelineInputError';

/**
 * Runs one render job: marks it running, renders with per-step progress (and cancel between
 * steps), uploads the images, then marks it succeeded. Permanent errors fail the job at once
 * (UnrecoverableError); transient ones (storage, Redis) are rethrown so BullMQ retries them
 * with backoff, and the job shows as queued again meanwhile.
 */
export function createRenderProcessor(deps: ProcessorDeps) {
  const { store, storage, notifier } = deps;

  async function notify(type: JobEventType, record: JobRecord, log: Logger): Promise<void> {
    try {
      const job = await toJobView(record, {
        apiBaseUrl: deps.apiBaseUrl,
        outputUrl: async (key) => {
          const url = await storage.url(key);
          return url.startsWith('/') ? `${deps.apiBaseUrl}${url}` : url;
        },
      });
      await notifier.notify({ type, tenant: record.tenant, job });
    } catch (err) {
      log.error({ err, type }, 'notifier failed');
    }
  }

  async function finish(
    record: JobRecord,
    status: 'succeeded' | 'failed' | 'canceled' | 'expired',
    log: Logger,
    extra: { outputs?: StoredOutput[]; error?: JobErrorInfo; renderMs?: number },
  ): Promise<boolean> {
    const outcome =
      status === 'succeeded'
        ? await store.markSucceeded(record, extra.outputs ?? [], { renderMs: extra.renderMs ?? 0 })
        : status === 'failed'
          ? await store.markFailed(record, extra.error!)
          : status === 'expired'
            ? await store.markExpired(record)
            : await store.markCanceled(record);
    if (outcome.kind !== 'ok') {
      log.info({ status: outcome.kind === 'refused' ? outcome.status : 'missing' }, `job already finished; not marked ${status}`);
      return false;
    }
    const done: JobRecord = { ...record, status, outputs: extra.outputs ?? record.outputs, error: extra.error ?? null, finishedAt: Date.now() };
    jobsFinished.inc({ model: record.model, status });
    if (status === 'expired') jobsExpired.inc({ model: record.model });
    if (status === 'succeeded') {
      const input = record.input;
      const size = { width: input.width ?? 0, height: input.height ?? 0, steps: input.steps ?? 0, numImages: done.outputs.length };
      countTenantUsage(record.tenant, { images: done.outputs.length, megapixelSteps: megapixelSteps(size), renderSeconds: (extra.renderMs ?? 0) / 1000 });
    }
    jobE2e.observe({ model: record.model }, (done.finishedAt! - record.createdAt) / 1000);
    log.info({ status }, 'job finished');
    await notify(`job.${status}`, done, log);
    return true;
  }

  /** Fails a job BullMQ gave up on without the processor (stalled too often: its workers kept dying). */
  async function failAbandoned(jobId: string, message: string): Promise<void> {
    const record = await store.get(jobId);
    if (!record || isTerminalStatus(record.status)) return;
    await finish(record, 'failed', deps.logger.child({ jobId, model: record.model }), { error: { code: 'worker_lost', message } });
  }

  async function processRenderJob(job: Job<RenderJobData>): Promise<{ status: string }> {
    const data = job.data;
    const attempt = job.attemptsMade + 1;
    const log = deps.logger.child({ jobId: data.jobId, model: data.model, attempt });
    const initial = await store.get(data.jobId);
    if (!initial) return { status: 'missing' };
    if (isTerminalStatus(initial.status)) {
      // A re-run after a worker died between finishing the job and reporting it: report again
      // (the webhook notifier de-duplicates, so a report that did go out is not sent twice).
      await notify(`job.${initial.status}` as JobEventType, initial, log);
      return { status: initial.status };
    }

    if (initial.status === 'queued' && initial.startedAt === null && initial.startBy && Date.now() > initial.startBy) {
      // past its start deadline: never rendered (the API's sweeper may have got there first)
      await finish(initial, 'expired', log, { error: { code: 'start_timeout', message: 'not started before its deadline' } });
      return { status: 'expired' };
    }

    const controller = deps.cancels.register(data.jobId);
    deps.current.add(data.jobId);
    workerBusy.inc({ model: data.model });
    const startedAt = Date.now();
    try {
      const started = await store.markStarted(initial, attempt);
      if (started.kind !== 'ok') return { status: started.kind === 'refused' ? started.status : 'missing' };
      const record: JobRecord = { ...initial, status: 'running', attempt, startedAt: initial.startedAt ?? startedAt, progress: { step: 0, total: data.request.steps } };
      if (started.cancelRequested) {
        await finish(record, 'canceled', log, {});
        return { status: 'canceled' };
      }
      if (attempt === 1) jobQueueWait.observe({ model: data.model }, (startedAt - data.submittedAt) / 1000);
      log.info('job started');
      await notify('job.started', record, log);

      const renderer = deps.renderers.get(data.model);
      if (!renderer) {
        await finish(record, 'failed', log, { error: { code: 'model_not_loaded', message: `this worker does not serve ${data.model}` } });
        throw new UnrecoverableError(`model ${data.model} not loaded`);
      }

      // Progress reports go out in order; each also tells us whether a cancel was requested.
      let reports = Promise.resolve();
      const onProgress = ({ step, total }: { step: number; total: number }) => {
        reports = reports.then(async () => {
          const out = await store.reportProgress(record, step, total);
          if (out.kind !== 'ok' || out.cancelRequested) deps.cancels.abort(data.jobId);
          record.progress = { step, total };
          await job.updateProgress({ step, total }).catch(() => {});
          await notify('job.progress', record, log);
        }).catch((err: unknown) => log.warn({ err }, 'progress report failed'));
      };
      // a missing input file is transient here (storage down): the attempt fails and is retried
      const initImage = data.request.image ? await storage.get(data.request.image.key) : undefined;
      const result = await renderer.render(
        { ...renderRequestOf(data, initImage), ...deps.protection?.requestExtras(data) },
        { onProgress, signal: controller.signal },
      );
      await reports;
      if (controller.signal.aborted) throw controller.signal.reason;
      const t = result.timings;
      const stage = (name: PipelineStage) => ({ model: data.model, stage: name, provider: renderer.provider });
      pipelineStage.observe(stage('encode'), t.encodeMs / 1000);
      for (const ms of t.stepsMs) pipelineStage.observe(stage('step'), ms / 1000);
      pipelineStage.observe(stage('decode'), t.decodeMs / 1000);
      pipelineStage.observe(stage('encode_image'), t.encodeImageMs / 1000);

      // A failed upload rejects here: the attempt fails and is retried; never succeeded without files.
      const protectStart = performance.now();
      const files: ProtectedOutput[] = await Promise.all(result.images.map((image, index) => (deps.protection ? deps.protection.protect(data, record, index, image) : { data: image.data })));
      if (deps.protection) pipelineStage.observe(stage('provenance'), (performance.now() - protectStart) / 1000);
      const uploadStart = performance.now();
      const outputs: StoredOutput[] = await Promise.all(
        result.images.map(async (image, index) => {
          const key = outputKey(data.tenant, data.jobId, index, FILE_EXTENSIONS[data.outputFormat] ?? 'png');
          const file = files[index];
          await storage.put(key, file.data, image.contentType);
          return {
            key, content_type: image.contentType, width: image.width, height: image.height, seed: image.seed, bytes: file.data.byteLength,
            ...(file.provenance ? { provenance: file.provenance } : {}),
            ...(file.watermark ? { watermark: file.watermark } : {}),
          };
        }),
      );
      pipelineStage.observe(stage('upload'), (performance.now() - uploadStart) / 1000);
      jobRun.observe({ model: data.model }, (Date.now() - startedAt) / 1000);
      // GPU time: the pipeline's own time, shared evenly among the jobs of a batch
      const renderMs = t.totalMs / ((result as { batchSize?: number }).batchSize ?? 1);
      if (await finish(record, 'succeeded', log, { outputs, renderMs })) imagesGenerated.inc({ model: data.model }, outputs.length);
      return { status: 'succeeded' };
    } catch (err) {
      const record = (await store.get(data.jobId).catch(() => null)) ?? initial;
      if (isAbort(err)) {
        await finish(record, 'canceled', log, {});
        return { status: 'canceled' };
      }
      if (err instanceof UnrecoverableError) throw err;
      if (isPermanent(err)) {
        const message = (err as Error).message;
        await finish(record, 'failed', log, { error: { code: 'invalid_input', message } });
        throw new UnrecoverableError(message);
      }
      const error = { code: 'render_failed', message: err instanceof Error ? err.message : String(err) };
      const final = attempt >= (job.opts.attempts ?? 1);
      log.warn({ err, final }, 'job attempt failed');
      if (final) await finish(record, 'failed', log, { error });
      else await store.markRetrying(record, error, attempt).catch(() => {});
      throw err;
    } finally {
      deps.cancels.release(data.jobId);
      deps.current.delete(data.jobId);
      workerBusy.dec({ model: data.model });
    }
  }

  return { processRenderJob, failAbandoned };
}
