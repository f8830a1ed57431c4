import type { JobErrorInfo, JobModeration, JobStatus } from '@flowfarm/contracts';
import type { JobRecord, StoredOutput } from '../job-record.js';
import { runScript } from '../lua.js';
import { crashAt } from './faults.js';
import { REQUEST_CANCEL, REQUEUE_ABANDONED } from './scripts.js';
import { dispatchTokenId } from './stages.js';
import { RunTransitions } from './run.js';
import { WORKER_ANY, retentionMember, type CancelOutcome, type OutputIndex, type TransitionOutcome, type ViewOf } from './types.js';

export * from './types.js';

/**
 * Every change of a job goes through here: submit, start, progress, finish, fail, cancel, retry.
 * The job's one record (a Redis hash) is the truth; BullMQ only dispatches a token `{ jobId }`.
 * Each transition is one Lua script that also appends the job's event (its one stream, read by
 * SSE, `Prefer: wait` and the ops views) and publishes a notice on the job's own channel; then
 * the notifier (webhooks) and the observer (metrics) hear of it, here and nowhere else.
 *
 * The transitions live in groups (one file each): core.ts (what they share, and the TRANSITION
 * script's call), submit.ts (submit with its token, the outbox of chain stages), run.ts (claim, begin, start,
 * progress); the ends of a run, cancel and takeover's requeue are here.
 */
export class JobLifecycle extends RunTransitions {
  /**
   * running → succeeded with the stored outputs (refused if another worker took the job over).
   * `indexes` are keys that point at the job's outputs (e.g. watermark → job), set in the same
   * step, so they exist exactly when the job succeeded. The job's usage (images, pixel-steps,
   * `usageMs` of GPU time, default `renderMs`) is metered in the same step, once.
   */
  async succeed(
    record: JobRecord,
    workerId: string,
    outputs: StoredOutput[],
    renderMs: number,
    indexes: OutputIndex[] = [],
    usageMs?: number,
    /** The last step whose progress was written; the final step's event comes with the success when it was not. */
    reportedStep = record.progress.total,
  ): Promise<TransitionOutcome> {
    crashAt(this.options.fault, 'finish:before-record');
    const now = Date.now();
    const done: JobRecord = { ...record, status: 'succeeded', outputs, finishedAt: now, renderMs, progress: { step: record.progress.total, total: record.progress.total } };
    const fields = ['status', 'succeeded', 'outputs', JSON.stringify(outputs), 'finished_at', String(now), 'render_ms', String(Math.round(renderMs)), 'progress', JSON.stringify(done.progress)];
    const finalStep = reportedStep < done.progress.total ? JSON.stringify(this.event('job.progress', done.id, { progress: done.progress })) : '';
    return this.transition(done, ['running'], 'job.succeeded', fields, {}, workerId, 'finish:after-record', indexes, this.usageEffect(done, { renderMs: usageMs ?? renderMs }, now), finalStep);
  }

  /** queued|running → failed. `workerId` '' when not a worker's own run (the job was abandoned). */
  fail(record: JobRecord, workerId: string, error: JobErrorInfo): Promise<TransitionOutcome> {
    const now = Date.now();
    const done: JobRecord = { ...record, status: 'failed', error, finishedAt: now };
    return this.transition(done, ['queued', 'running'], 'job.failed', ['status', 'failed', 'error', JSON.stringify(error), 'finished_at', String(now)], { error }, workerId);
  }

  /** running → moderated: the model's output check flagged an image, so nothing was stored. */
  moderated(record: JobRecord, workerId: string, moderation: JobModeration): Promise<TransitionOutcome> {
    const now = Date.now();
    const done: JobRecord = { ...record, status: 'moderated', moderation, finishedAt: now };
    return this.transition(done, ['running'], 'job.moderated', ['status', 'moderated', 'moderation', JSON.stringify(moderation), 'finished_at', String(now)], { moderation }, workerId);
  }

  /** running → canceled: the worker stopped the run after a cancel request. */
  canceled(record: JobRecord, workerId: string): Promise<TransitionOutcome> {
    const now = Date.now();
    const done: JobRecord = { ...record, status: 'canceled', finishedAt: now, cancelRequested: true };
    return this.transition(done, ['queued', 'running'], 'job.canceled', ['status', 'canceled', 'finished_at', String(now)], {}, workerId);
  }

  /**
   * queued (never started) → expired: its start deadline passed. Its token is removed from the
   * queue (a worker that takes it anyway finds the job ended).
   */
  async expire(record: JobRecord): Promise<TransitionOutcome> {
    const now = Date.now();
    const error = { code: 'start_timeout', message: 'not started before its deadline' };
    const done: JobRecord = { ...record, status: 'expired', finishedAt: now, error };
    const outcome = await this.transition(done, ['queued'], 'job.expired', ['status', 'expired', 'finished_at', String(now), 'error', JSON.stringify(error)], {}, WORKER_ANY);
    if (outcome.kind === 'ok') await this.queues.removeWaiting(record.model, dispatchTokenId(record.id, record.stage)).catch((err: unknown) => this.options.onError?.(err, 'removing an expired job from its queue'));
    return outcome;
  }

  /** running → queued after a transient failure, while BullMQ waits to retry it. */
  retrying(record: JobRecord, workerId: string, error: JobErrorInfo, attempt: number): Promise<TransitionOutcome> {
    const again: JobRecord = { ...record, status: 'queued', error, claimedAt: null };
    return this.transition(again, ['running'], 'job.queued', ['status', 'queued', 'error', JSON.stringify(error), 'claimed_at', ''], { error, attempt }, workerId);
  }

  /**
   * A job `workerId` (whose heartbeat expired) held goes back to waiting in its record: running →
   * queued (job.queued with error worker_lost, and its webhook), claimed → released. The takeover
   * reaper calls it before handing the job's token back to the queue.
   */
  async abandoned(jobId: string, model: string, workerId: string): Promise<'requeued' | 'released' | 'refused'> {
    const k = this.keys;
    const error = { code: 'worker_lost', message: 'its worker stopped; back in the queue' };
    const outcome = (await runScript(this.redis, REQUEUE_ABANDONED, [k.job(jobId), k.jobEvents(jobId), k.waiting(model)], [workerId, JSON.stringify(this.event('job.queued', jobId, { error })), k.jobChannel(jobId)])) as
      | 'requeued'
      | 'released'
      | 'refused';
    if (outcome === 'requeued') {
      const record = await this.store.get(jobId);
      if (record) await this.notify('job.queued', record);
    }
    return outcome;
  }

  /**
   * A queued job is canceled at once (its token is removed from the queue); a running one gets a
   * cancel request its worker honours at the next step.
   */
  async cancel(record: JobRecord, view?: ViewOf): Promise<CancelOutcome> {
    const k = this.keys;
    const now = Date.now();
    const release = this.releaseEffect(record);
    const outcome = (await runScript(
      this.redis,
      REQUEST_CANCEL,
      [k.job(record.id), k.jobEvents(record.id), k.tenantActive(record.tenant), k.retention, ...release.keys],
      [
        record.id,
        String(now),
        JSON.stringify(this.event('job.canceled', record.id, {})),
        String(now + this.options.retentionMs),
        retentionMember(record),
        k.jobChannel(record.id),
        k.cancelChannel,
        release.json,
      ],
    )) as 'canceled_now' | 'requested' | 'missing' | JobStatus;
    if (outcome === 'missing') return { kind: 'missing' };
    if (outcome !== 'canceled_now' && outcome !== 'requested') return { kind: 'finished', status: outcome };
    if (outcome === 'requested') return { kind: outcome, record: { ...record, cancelRequested: true } };
    const canceled: JobRecord = { ...record, status: 'canceled', finishedAt: now, cancelRequested: true };
    await this.queues.removeWaiting(record.model, dispatchTokenId(record.id, record.stage));
    this.options.observer?.finished(canceled, 'canceled');
    await this.notify('job.canceled', canceled, view);
    return { kind: outcome, record: canceled };
  }
}
