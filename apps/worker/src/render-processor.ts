import type { AuditLog } from '@flowfarm/trust';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { isTerminalStatus, type JobErrorInfo } from '@flowfarm/contracts';
import { createHash } from 'node:crypto';
import { stageRequest, stageRunSteps, type JobLifecycle, type JobRecord, type RenderJobData, type RenderToken, type StoredOutput } from '@flowfarm/queue';
import { outputKey, type ResultStorage } from '@flowfarm/storage';
import { imagesGenerated, jobRun, pipelineStage, workerBusy, type PipelineStage } from '@flowfarm/metrics';
import type { CancelWatch } from './cancel-watch.js';
import type { OutputProtection, ProtectedOutput } from './output-protection.js';
import { NotBegunError, type RenderBatcher } from './render-batcher.js';
import { FILE_EXTENSIONS, renderRequestOf } from './render-request.js';

export interface ProcessorDeps {
  lifecycle: JobLifecycle;
  storage: ResultStorage;
  cancels: CancelWatch;
  renderers: Map<string, RenderBatcher>;
  logger: Logger;
  /** This worker's id: the runs it holds are recorded under it (fast takeover when it dies). */
  workerId: string;
  /** Progress is written at most this often per job (the first and last step always). */
  progressIntervalMs: number;
  /** Jobs running now (for the heartbeat). */
  current: Set<string>;
  /** Watermark and signed provenance for every output (absent: files are stored as rendered). */
  protection?: OutputProtection;
  /** Where an output-check verdict is recorded (the API records the submit of the same job). */
  audit?: Pick<AuditLog, 'record'>;
  /** Whether a job jumped a busy queue (renders in the batcher's express slot); absent: none does. */
  jumped?: (jobId: string) => boolean;
}

const isAbort = (err: unknown) => err instanceof Error && err.name === 'AbortError';
/** A request the model can never serve (the pipeline's PipelineInputError, named across the thread boundary). */
const isPermanent = (err: unknown) => err instanceof Error && err.name === 'PipelineInputError';

/** What the worker renders, from the job's record (the BullMQ token only names the job). */
function workOf(record: JobRecord): RenderJobData | null {
  if (!record.request) return null;
  return {
    jobId: record.id,
    tenant: record.tenant,
    model: record.model,
    request: record.request,
    outputFormat: record.request.outputFormat ?? 'png',
    submittedAt: record.createdAt,
  };
}

/**
 * Runs one render job: claims it (the claim script returns its record; the job stays queued while
 * it waits in the batcher for its batch), marks it running when the batch starts, renders with
 * progress (and cancel between steps), uploads the images, then marks it succeeded, all through
 * the lifecycle. Permanent errors fail the job at once (UnrecoverableError); transient ones
 * (storage, Redis) are rethrown so BullMQ retries them with backoff, and the job shows as queued
 * again meanwhile. A run this worker lost (taken over after a missed heartbeat) stops.
 */
export function createRenderProcessor(deps: ProcessorDeps) {
  const { lifecycle, storage, workerId } = deps;

  async function finish(record: JobRecord, status: 'failed' | 'canceled', log: Logger, error?: JobErrorInfo): Promise<void> {
    const outcome = status === 'failed' ? await lifecycle.fail(record, workerId, error!) : await lifecycle.canceled(record, workerId);
    if (outcome.kind !== 'ok') log.info({ status: outcome.kind === 'refused' ? outcome.status : 'missing' }, `job already finished or taken over; not marked ${status}`);
    else log.info({ status }, 'job finished');
  }

  /** Fails a job BullMQ gave up on without the processor (stalled too often: its workers kept dying). */
  async function failAbandoned(jobId: string, message: string): Promise<void> {
    const record = await lifecycle.store.get(jobId);
    if (!record || isTerminalStatus(record.status)) return;
    await lifecycle.fail(record, '', { code: 'worker_lost', message });
  }

  /**
   * `rendered`: called when the job's render has ended and only its bookkeeping (output check,
   * watermark and signature, upload, finish) is left: the worker may take the next batch's jobs.
   */
  async function processRenderJob(job: Job<RenderToken>, rendered?: () => void): Promise<{ status: string }> {
    const jobId = job.data.jobId;
    // runs of this job so far: finished attempts plus runs whose worker died
    const attempt = job.attemptsMade + (job.stalledCounter ?? 0) + 1;
    const log = deps.logger.child({ jobId, attempt });
    const controller = deps.cancels.register(jobId);
    deps.current.add(jobId);
    let record: JobRecord | null = null;
    let busy: string | null = null;
    // the token's queue is its model's (`render.<model>`)
    const queueModel = job.queueName.slice('render.'.length);
    const slots = deps.renderers.get(queueModel);
    // A job that finds its model idle starts at once: claim and begin in one step, its render slot
    // reserved meanwhile. Otherwise the job is claimed (still queued) and begins with its batch.
    let reserved = slots?.reserve() ?? false;
    let startedAt = Date.now();
    try {
      const claimed = reserved ? await lifecycle.start(jobId, workerId, attempt, queueModel) : await lifecycle.claim(jobId, workerId, queueModel);
      if (claimed.kind === 'missing') return { status: 'missing' };
      // A re-run after a worker died between finishing the job and telling BullMQ: nothing to do.
      if (claimed.kind === 'terminal') return { status: claimed.record.status };
      record = claimed.record;
      if (reserved) {
        startedAt = Date.now();
        busy = record.model;
        workerBusy.inc({ model: busy });
      }
      if (claimed.cancelRequested) {
        await finish(record, 'canceled', log);
        return { status: 'canceled' };
      }
      const whole = workOf(record);
      const renderer = deps.renderers.get(record.model);
      if (!whole || !renderer) {
        const message = whole ? `this worker does not serve ${record.model}` : 'the job has no render request';
        await finish(record, 'failed', log, { code: whole ? 'model_not_loaded' : 'invalid_input', message });
        throw new UnrecoverableError(message);
      }
      // Prompt chaining: this run renders the record's current stage, from the previous stage's
      // stored output (any worker may run any stage; the record says which is next).
      const chain = whole.request.stages;
      const stageIndex = chain ? (record.stage ?? 0) : undefined;
      const previous = stageIndex ? record.outputs.find((o) => o.stage === stageIndex - 1) : undefined;
      if (stageIndex && !previous) {
        await finish(record, 'failed', log, { code: 'render_failed', message: `the output of stage ${stageIndex - 1} is missing` });
        throw new UnrecoverableError('chain stage output missing');
      }
      // a missing input file is transient here (storage down): the attempt fails and is retried
      const fromKey = previous?.key ?? whole.request.image?.key;
      const initImage = fromKey ? await storage.get(fromKey) : undefined;
      const data: RenderJobData = chain
        ? { ...whole, request: stageRequest(whole.request, stageIndex!, previous && initImage ? { key: previous.key, sha256: createHash('sha256').update(initImage).digest('hex') } : undefined) }
        : whole;
      const stepBase = chain ? (record.stageStep ?? 0) : 0;
      const startLog = { model: data.model, ...(chain ? { stage: stageIndex } : {}) };
      if (reserved) log.info(startLog, 'job started');

      // Progress goes out in order: the first step, then at most once per interval; the final
      // step's event comes with the success when its own write was skipped. Each report also says
      // whether a cancel was requested (the pub/sub cancel watch is faster).
      let running = record;
      let reports = Promise.resolve();
      let lastReport = 0;
      let reportedStep = 0;
      const onProgress = ({ step, total }: { step: number; total: number }) => {
        const now = Date.now();
        if (step !== 1 && now - lastReport < deps.progressIntervalMs) return;
        lastReport = now;
        reportedStep = step;
        reports = reports.then(async () => {
          // a chain's progress runs across all its stages
          const out = chain ? await lifecycle.progress(running, workerId, stepBase + step, running.progress.total) : await lifecycle.progress(running, workerId, step, total);
          if (out.kind !== 'ok' || out.cancelRequested) deps.cancels.abort(jobId);
        }).catch((err: unknown) => log.warn({ err }, 'progress report failed'));
      };
      // The job begins (running, started_at, job.started) when its batch starts, not when this
      // worker took it: jobs held for the next batch stay queued meanwhile.
      let notBegun: string | null = null;
      const begin = async (): Promise<boolean> => {
        const out = await lifecycle.begin(running, workerId, attempt);
        if (out.kind !== 'ok') {
          notBegun = out.status;
          return false;
        }
        running = record = out.record;
        startedAt = Date.now();
        busy = running.model;
        workerBusy.inc({ model: busy });
        log.info(startLog, 'job started');
        if (out.cancelRequested) deps.cancels.abort(jobId);
        return true;
      };
      let result;
      try {
        const direct = reserved && renderer === slots;
        if (reserved && !direct) slots?.unreserve();
        reserved = false; // render takes the reserved slot
        result = await renderer.render(
          { ...renderRequestOf(data, initImage, chain ? { index: stageIndex!, count: chain.length } : undefined), ...deps.protection?.requestExtras(data, stageIndex ?? 0) },
          { onProgress, signal: controller.signal, ...(direct ? { reserved: true } : { begin, express: deps.jumped?.(jobId) === true }) },
        );
      } catch (err) {
        if (!(err instanceof NotBegunError)) throw err;
        log.info({ status: notBegun }, 'job ended or taken over before its batch started; not run');
        return { status: notBegun ?? 'missing' };
      }
      // the model is free for the next batch while this one's outputs are checked and stored
      rendered?.();
      await reports;
      if (controller.signal.aborted) throw controller.signal.reason;
      const t = result.timings;
      const stage = (name: PipelineStage) => ({ model: data.model, stage: name, provider: renderer.provider });
      pipelineStage.observe(stage('encode'), t.encodeMs / 1000);
      for (const ms of t.stepsMs) pipelineStage.observe(stage('step'), ms / 1000);
      pipelineStage.observe(stage('decode'), t.decodeMs / 1000);
      pipelineStage.observe(stage('encode_image'), t.encodeImageMs / 1000);

      // The model's output check flagged an image: nothing of the job is stored or linked.
      const flagged = result.images.flatMap((image) => (image.moderation?.flagged ? image.moderation.labels : []));
      if (flagged.length) {
        const moderation = { stage: 'output' as const, reason: [...new Set(flagged)].join(', ') };
        const done = await lifecycle.moderated(running, workerId, moderation);
        if (done.kind === 'ok') {
          await deps.audit
            ?.record({ tenant: running.tenant, key_id: running.keyId ?? '', client: '(worker: output check)', job_id: jobId, model: running.model, outcome: 'moderated', ...moderation })
            .catch((err: unknown) => log.warn({ err }, 'audit entry not written'));
        }
        log.info({ status: done.kind === 'ok' ? 'moderated' : 'not recorded', moderation }, 'output check flagged the render; nothing stored');
        return { status: done.kind === 'ok' ? 'moderated' : done.kind === 'refused' ? done.status : 'missing' };
      }

      // A failed upload rejects here: the attempt fails and is retried; never succeeded without files.
      const protectStart = performance.now();
      // a chain's stage k makes output k (its own key, so a re-run of the stage replaces it)
      const first = stageIndex ?? 0;
      const files: ProtectedOutput[] = await Promise.all(result.images.map((image, index) => (deps.protection ? deps.protection.protect(data, running, first + index, image) : { data: image.data })));
      if (deps.protection) pipelineStage.observe(stage('provenance'), (performance.now() - protectStart) / 1000);
      const uploadStart = performance.now();
      const outputs: StoredOutput[] = await Promise.all(
        result.images.map(async (image, index) => {
          const key = outputKey(data.tenant, data.jobId, first + index, FILE_EXTENSIONS[data.outputFormat] ?? 'png');
          const file = files[index];
          await storage.put(key, file.data, image.contentType);
          return {
            key, content_type: image.contentType, width: image.width, height: image.height, seed: image.seed, bytes: file.data.byteLength,
            ...(file.provenance ? { provenance: file.provenance } : {}),
            ...(file.watermark ? { watermark: file.watermark } : {}),
            ...(stageIndex === undefined ? {} : { stage: stageIndex }),
          };
        }),
      );
      pipelineStage.observe(stage('upload'), (performance.now() - uploadStart) / 1000);
      const renderMs = Date.now() - startedAt;
      jobRun.observe({ model: data.model }, renderMs / 1000);
      const indexes = files.flatMap((file) => (file.index ? [file.index] : []));
      // a chain's earlier stages: their watermarks are indexed with the job's success too
      if (chain && deps.protection) {
        for (const o of running.outputs) {
          const entry = o.stage !== undefined && o.stage < stageIndex! ? deps.protection.indexOf(data.jobId, o.stage, o.watermark) : undefined;
          if (entry) indexes.push(entry);
        }
      }
      // GPU time for usage: the pipeline's own time, shared evenly among the jobs of a batch
      const gpuMs = t.totalMs / ((result as { batchSize?: number }).batchSize ?? 1);
      if (chain && stageIndex! < chain.length - 1) {
        // not the last stage: record it (the job is queued for the next one) and hand it on
        const kept = [...running.outputs.filter((o) => o.stage !== undefined && o.stage < stageIndex!), ...outputs];
        const stepsDone = stepBase + stageRunSteps(data.request.steps, data.request.strength, data.request.image !== undefined);
        const staged = await lifecycle.stageDone(running, workerId, kept, { stage: stageIndex!, stepsDone, renderMs, gpuMs });
        if (staged.kind === 'cancel') {
          await finish(running, 'canceled', log);
          return { status: 'canceled' };
        }
        if (staged.kind !== 'ok') {
          log.info({ status: staged.status }, 'job moved on elsewhere or taken over; stage not recorded');
          return { status: staged.status };
        }
        imagesGenerated.inc({ model: data.model }, outputs.length);
        log.info({ stage: stageIndex, stages: chain.length }, 'stage done; next stage dispatched');
        return { status: 'staged' };
      }
      const all = chain ? [...running.outputs.filter((o) => o.stage !== undefined && o.stage < stageIndex!), ...outputs] : outputs;
      const done = await lifecycle.succeed(
        running, workerId, all, renderMs + (running.stageRenderMs ?? 0), indexes, gpuMs + (running.stageGpuMs ?? 0), chain ? stepBase + reportedStep : reportedStep,
      );
      if (done.kind !== 'ok') {
        log.info({ status: done.kind === 'refused' ? done.status : 'missing' }, 'job finished elsewhere or taken over; not marked succeeded');
        return { status: done.kind === 'refused' ? done.status : 'missing' };
      }
      imagesGenerated.inc({ model: data.model }, outputs.length);
      log.info({ status: 'succeeded' }, 'job finished');
      return { status: 'succeeded' };
    } catch (err) {
      if (!record) throw err;
      const latest = (await lifecycle.store.get(jobId).catch(() => null)) ?? record;
      if (isAbort(err)) {
        await finish(latest, 'canceled', log);
        return { status: 'canceled' };
      }
      if (err instanceof UnrecoverableError) throw err;
      if (isPermanent(err)) {
        const message = (err as Error).message;
        await finish(latest, 'failed', log, { code: 'invalid_input', message });
        throw new UnrecoverableError(message);
      }
      const error = { code: 'render_failed', message: err instanceof Error ? err.message : String(err) };
      const final = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      log.warn({ err, final }, 'job attempt failed');
      if (final) await finish(latest, 'failed', log, error);
      else await lifecycle.retrying(latest, workerId, error, attempt).catch(() => {});
      throw err;
    } finally {
      if (reserved) slots?.unreserve();
      deps.cancels.release(jobId);
      deps.current.delete(jobId);
      if (busy) workerBusy.dec({ model: busy });
    }
  }

  return { processRenderJob, failAbandoned };
}
