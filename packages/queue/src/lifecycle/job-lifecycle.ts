import type { Redis } from 'ioredis';
import {
  isTerminalStatus,
  noopNotifier,
  statusAfter,
  type JobErrorInfo,
  type JobEventType,
  type JobModeration,
  type JobNotifier,
  type JobStatus,
  type JobStreamEvent,
  type JobView,
} from '@flowfarm/contracts';
import type { QuotaBreach, QuotaName } from '@flowfarm/contracts';
import type { FarmKeys } from '../keys.js';
import { renderQueueName } from '../keys.js';
import { fairUnit } from '../fair-share.js';
import { USAGE_FIELDS, usageField, type JobUsage } from '../job-store.js';
import { dayPeriod, imagesOf, monthPeriod, pixelSteps, quotaPeriods, utcDay } from '../quota-periods.js';
import { recordFromHash, recordToHash, type JobRecord, type StoredOutput } from '../job-record.js';
import { JobStore } from '../job-store.js';
import { runScript } from '../lua.js';
import type { RenderQueues } from '../render-queues.js';
import { crashAt, type FaultPoint } from './faults.js';
import { BEGIN, CLAIM, PROGRESS, REQUEST_CANCEL, REQUEUE_ABANDONED, START, SUBMIT, TRANSITION } from './scripts.js';
import { completeStage, dispatchTokenId, type StageOutcome } from './stages.js';

export type SubmitOutcome =
  | { kind: 'created'; record: JobRecord; queuePosition: number | null }
  | { kind: 'existing'; record: JobRecord }
  | { kind: 'conflict'; jobId: string }
  | { kind: 'gone'; jobId: string }
  | { kind: 'full'; active: number }
  | { kind: 'quota'; breach: QuotaBreach };

export type TransitionOutcome =
  | { kind: 'ok'; eventId: string; cancelRequested: boolean }
  | { kind: 'refused'; status: JobStatus | 'missing'; cancelRequested: boolean }
  | { kind: 'missing' };

export type StartOutcome =
  | { kind: 'ok'; record: JobRecord; cancelRequested: boolean }
  | { kind: 'terminal'; record: JobRecord }
  | { kind: 'missing' };

/** A claim: the worker holds the job (still queued) until its batch begins. */
export type ClaimOutcome = StartOutcome;

export type BeginOutcome =
  | { kind: 'ok'; record: JobRecord; cancelRequested: boolean }
  | { kind: 'refused'; status: JobStatus | 'missing'; cancelRequested: boolean };

export type CancelOutcome = { kind: 'canceled_now' | 'requested'; record: JobRecord } | { kind: 'missing' } | { kind: 'finished'; status: JobStatus };

/** Lifecycle counters and timings; one implementation (Prometheus) in @flowfarm/metrics. */
export interface LifecycleObserver {
  submitted(record: JobRecord): void;
  /** A run started; `queueWaitMs` on the first run only. */
  started(record: JobRecord, queueWaitMs: number | null): void;
  finished(record: JobRecord, status: JobStatus): void;
}

/**
 * The priority a job's dispatch token gets in its model queue (BullMQ: lower runs first, 1 to
 * 2^21) when its record has none: one constant for every job, so the queue is first in, first
 * out. With fair share (`LifecycleOptions.fair`) the submit script gives each job its slot.
 */
export function dispatchPriority(_record: JobRecord): number {
  return 1;
}

/** A quota release or usage metering a terminal transition does in the same step (fair-scripts.ts). */
type Effect = { keys: [string, string]; json: string };

export interface LifecycleOptions {
  /** How long finished jobs (records, events, files) are kept. */
  retentionMs: number;
  /** Builds the job's public view for a notification (called only when an endpoint wants the event). */
  view?: (record: JobRecord) => Promise<JobView>;
  notifier?: JobNotifier;
  observer?: LifecycleObserver;
  /** Test-only crash point (FLOWFARM_FAULT). */
  fault?: FaultPoint;
  /** Failed jobs kept in the recent-failures list. */
  failuresCap?: number;
  /**
   * Fair share: what the submit script needs to give the job its slot (fair-share.ts): its class
   * rank, its cost in megapixel-steps and its model's default job cost. Without it every job gets
   * `dispatchPriority` (first in, first out).
   */
  fair?: (record: JobRecord) => Promise<{ rank: number; cost: number; defaultJobCost: number }>;
  /** How long daily usage figures are kept (default 400 days). */
  usageRetentionDays?: number;
  onError?: (err: unknown, context: string) => void;
}

/** A key set with a job's success that points at its outputs (e.g. a watermark's job). */
export interface OutputIndex {
  key: string;
  value: string;
  ttlSec: number;
}

/** Per-call override of how the view of a notification is built (the API links to the request's origin). */
export type ViewOf = (record: JobRecord) => Promise<JobView>;

const WORKER_ANY = '';

/**
 * Every change of a job goes through here: submit, start, progress, finish, fail, cancel, retry.
 * The job's one record (a Redis hash) is the truth; BullMQ only dispatches a token `{ jobId }`.
 * Each transition is one Lua script that also appends the job's event (its one stream, read by
 * SSE, `Prefer: wait` and the ops views) and publishes a notice on the job's own channel; then
 * the notifier (webhooks) and the observer (metrics) hear of it, here and nowhere else.
 */
export class JobLifecycle {
  readonly store: JobStore;
  private readonly notifier: JobNotifier;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
    readonly queues: RenderQueues,
    private readonly options: LifecycleOptions,
  ) {
    this.store = new JobStore(redis, keys);
    this.notifier = options.notifier ?? noopNotifier;
  }

  /**
   * Records a new job (idempotency key, tenant index and active cap checked in the same script)
   * and dispatches it. A job stopped by prompt moderation is recorded as moderated and never
   * reaches a queue. A crash between the record and the token leaves an outbox entry that the
   * reconciler dispatches (`reconcileDispatch`), so no submitted job is lost.
   */
  async submit(
    record: JobRecord,
    opts: {
      maxActive: number;
      idempotency?: { key: string; bodyHash: string; ttlSec: number };
      moderation?: JobModeration | null;
      view?: ViewOf;
      /** A stream entry written with the new job (the audit log), not for a replay or a refusal. */
      append?: { stream: string; minId: string; fields: string[] } | null;
    },
  ): Promise<SubmitOutcome> {
    const k = this.keys;
    const idem = opts.idempotency;
    const moderated = opts.moderation ?? null;
    const now = Date.now();
    // Quotas: a queued job reserves its images and pixel-steps with its record (released unless
    // it succeeds); a moderated one reserves nothing. Its start deadline is scheduled with it.
    const periods = quotaPeriods(record.createdAt);
    const images = imagesOf(record.input);
    const px = pixelSteps(record.input);
    const reserved = moderated ? null : { day: periods.day, month: periods.month, images, pixelSteps: px };
    const extras = moderated
      ? {}
      : {
          images,
          px,
          dayResetMs: periods.dayResetMs,
          monthResetMs: periods.monthResetMs,
          // counters outlive their period by a day, so a late release still finds them
          dayTtlSec: Math.ceil((periods.dayResetMs - record.createdAt) / 1000) + 86_400,
          monthTtlSec: Math.ceil((periods.monthResetMs - record.createdAt) / 1000) + 86_400,
          ...(record.startBy ? { deadlineMs: record.startBy } : {}),
        };
    const stored: JobRecord = moderated ? { ...record, status: 'moderated', moderation: moderated, finishedAt: now, reserved: null } : { ...record, reserved };
    const terminalEvent = moderated ? JSON.stringify(this.event('job.moderated', record.id, { moderation: moderated })) : '';
    const fair = !moderated && this.options.fair ? await this.options.fair(record) : null;
    const queuePrefix = `${k.bullPrefix}:${renderQueueName(record.model)}:`;
    const fairArgs = fair ? JSON.stringify({ rank: fair.rank, cost: fair.cost, unit: fairUnit(fair.defaultJobCost), queuePrefix, tenant: record.tenant }) : '';
    const [kind, value, ...quota] = (await runScript(
      this.redis,
      SUBMIT,
      [
        idem ? k.idempotency(record.tenant, idem.key) : k.job(record.id),
        k.tenantActive(record.tenant),
        k.job(record.id),
        k.tenantJobs(record.tenant),
        k.jobEvents(record.id),
        k.tenantPolicy(record.tenant),
        k.quotaCounter(record.tenant, dayPeriod(periods.day)),
        k.quotaCounter(record.tenant, monthPeriod(periods.month)),
        k.deadlines,
        k.dispatch,
        k.retention,
        k.fairState(record.model),
        k.fairTenantQueue(record.model, record.tenant),
        `${queuePrefix}prioritized`,
        `${queuePrefix}wait`,
        k.fairPending(record.model),
        opts.append?.stream ?? k.job(record.id),
        k.waiting(record.model),
      ],
      [
        record.id,
        idem ? '1' : '0',
        idem?.bodyHash ?? '',
        String(opts.maxActive),
        String(idem?.ttlSec ?? 0),
        JSON.stringify(recordToHash(stored)),
        String(record.createdAt),
        terminalEvent,
        String(now + this.options.retentionMs),
        JSON.stringify(extras),
        retentionMember(record),
        fairArgs,
        opts.append ? JSON.stringify({ minId: opts.append.minId, fields: opts.append.fields }) : '',
      ],
    )) as Array<string | number>;
    if (kind === 'full') return { kind, active: Number(value) };
    if (kind === 'quota') {
      const [limit, used, requested, resetsAtMs] = quota.map(Number);
      return { kind, breach: { quota: value as QuotaName, limit, used, requested, resetsAtMs } };
    }
    if (kind === 'conflict') return { kind, jobId: String(value) };
    if (kind === 'existing') {
      const existing = await this.store.get(String(value));
      return existing ? { kind, record: existing } : { kind: 'gone', jobId: String(value) };
    }
    const [priority, position] = quota.map(Number);
    if (!moderated) stored.dispatchPriority = priority;
    crashAt(this.options.fault, 'submit:after-record');
    this.options.observer?.submitted(stored);
    if (moderated) {
      this.options.observer?.finished(stored, 'moderated');
      await this.notify('job.moderated', stored, opts.view);
      return { kind: 'created', record: stored, queuePosition: null };
    }
    // The job is recorded: a dispatch that fails now is retried by the reconciler from the outbox.
    await this.dispatch(stored).catch((err: unknown) => this.options.onError?.(err, 'dispatch failed; the reconciler retries it'));
    await this.notify('job.queued', stored, opts.view);
    return { kind: 'created', record: stored, queuePosition: position >= 0 ? position : null };
  }

  /**
   * Adds the job's BullMQ token (idempotent: the token's id is the job's). Its outbox entry is
   * removed when the job starts, or by the reconciler.
   */
  async dispatch(record: JobRecord): Promise<void> {
    await this.queues.dispatch(record.model, record.id, record.dispatchPriority ?? dispatchPriority(record), record.stage);
    crashAt(this.options.fault, 'submit:after-dispatch');
  }

  /**
   * Prompt chaining: stage `done.stage` of the job is stored; the job goes back to queued for the
   * next stage and that stage's token goes out, for any worker (stages.ts).
   */
  stageDone(record: JobRecord, workerId: string, outputs: StoredOutput[], done: { stage: number; stepsDone: number; renderMs: number; gpuMs: number }): Promise<StageOutcome> {
    const ctx = {
      redis: this.redis, keys: this.keys, fault: this.options.fault, onError: this.options.onError,
      event: (type: JobEventType, jobId: string, extra: Partial<JobStreamEvent>) => this.event(type, jobId, extra),
      notify: (type: JobEventType, r: JobRecord) => this.notify(type, r),
      dispatch: (r: JobRecord) => this.queues.dispatch(r.model, r.id, r.dispatchPriority ?? dispatchPriority(r), r.stage),
    };
    return completeStage(ctx, record, workerId, outputs, done);
  }

  /**
   * Outbox entries older than `graceMs`: jobs not started yet, whose API process may have died
   * between the record and the token. Tokens are added again for jobs still queued (a no-op when
   * the token is there), and the entries are dropped. Returns how many entries were handled.
   */
  async reconcileDispatch(graceMs: number, limit = 1000): Promise<number> {
    const ids = await this.redis.zrangebyscore(this.keys.dispatch, '-inf', Date.now() - graceMs, 'LIMIT', 0, limit);
    if (ids.length === 0) return 0;
    const records = await this.store.getMany(ids);
    await Promise.all(records.filter((record) => record.status === 'queued').map((record) => this.dispatch(record)));
    // Each token is in its queue now (the prioritized set holds its slot for fair share), or the
    // job will never run: the entries go, so they cost memory only for a job's first seconds.
    const cleanup = this.redis.pipeline().zrem(this.keys.dispatch, ...ids);
    for (const record of records) cleanup.zrem(this.keys.fairPending(record.model), record.id);
    await cleanup.exec();
    return ids.length;
  }

  /**
   * Claim and begin in one step: queued|running → running for `workerId` (a first run, a retry,
   * or a re-run after the previous holder died). Returns the record (the request the worker
   * renders is in it). A batching worker claims first and begins when the batch starts.
   */
  async start(jobId: string, workerId: string, attempt: number, model: string): Promise<StartOutcome> {
    const outcome = await this.claimOrStart(START, jobId, workerId, attempt, model);
    if (outcome.kind !== 'ok') return outcome;
    crashAt(this.options.fault, 'start:after-mark');
    await this.started(outcome.record, attempt);
    return outcome;
  }

  /**
   * The worker took the job's token and holds it for a batch that has not started: the record
   * says which worker holds it (takeover hands it back when that worker dies) and stays queued
   * (a re-run after a dead holder stays running until it begins again). Its outbox, fair-pending
   * and waiting entries go. `begin` makes it running when its batch starts.
   */
  claim(jobId: string, workerId: string, model: string): Promise<ClaimOutcome> {
    return this.claimOrStart(CLAIM, jobId, workerId, 0, model);
  }

  /**
   * The claimed job's batch starts now: queued|running → running (attempt, started_at of the first
   * run, job.started, webhooks, queue-wait metric). Refused when this worker no longer holds the
   * job: canceled or expired meanwhile, or taken over after a missed heartbeat.
   */
  async begin(record: JobRecord, workerId: string, attempt: number): Promise<BeginOutcome> {
    const k = this.keys;
    const now = Date.now();
    const [kind, value, cancel] = (await runScript(
      this.redis,
      BEGIN,
      [k.job(record.id), k.jobEvents(record.id), k.workerJobs(workerId)],
      [workerId, String(attempt), String(now), JSON.stringify(this.event('job.started', record.id, { attempt })), k.jobChannel(record.id), record.model],
    )) as [string, string, string];
    if (kind !== 'ok') return { kind: 'refused', status: value as JobStatus | 'missing', cancelRequested: cancel === '1' };
    const running: JobRecord = {
      ...record,
      status: 'running',
      attempt,
      worker: workerId,
      startedAt: record.startedAt ?? now,
      // a prompt chain's later stage starts where the stages done so far left its progress
      progress: { step: record.stageStep ?? 0, total: record.progress.total },
      cancelRequested: record.cancelRequested || cancel === '1',
    };
    crashAt(this.options.fault, 'start:after-mark');
    await this.started(running, attempt);
    return { kind: 'ok', record: running, cancelRequested: cancel === '1' };
  }

  private async started(record: JobRecord, attempt: number): Promise<void> {
    this.options.observer?.started(record, attempt === 1 ? Math.max(0, (record.startedAt ?? Date.now()) - record.createdAt) : null);
    await this.notify('job.started', record);
  }

  private async claimOrStart(script: string, jobId: string, workerId: string, attempt: number, model: string): Promise<StartOutcome> {
    const k = this.keys;
    const answer = (await runScript(
      this.redis,
      script,
      [k.job(jobId), k.jobEvents(jobId), k.workerJobs(workerId), k.holders, k.dispatch, k.fairPending(model), k.waiting(model)],
      [workerId, String(attempt), String(Date.now()), JSON.stringify(this.event('job.started', jobId, { attempt })), k.jobChannel(jobId)],
    )) as string[];
    const [kind, , cancel] = answer;
    if (kind === 'missing') return { kind };
    const record = recordFromHash(answer.slice(3));
    if (!record) return { kind: 'missing' };
    if (kind === 'overdue') {
      // past its start deadline: never rendered (the API's deadline sweeper may not have run yet)
      await this.expire(record);
      return { kind: 'terminal', record: (await this.store.get(jobId)) ?? record };
    }
    if (kind === 'terminal') {
      // A re-run after a worker died between recording the end and telling BullMQ (or the
      // notifier): tell the notifier again; it sends a job's terminal event once only.
      await this.notify(`job.${record.status}` as JobEventType, record);
      return { kind: 'terminal', record };
    }
    return { kind: 'ok', record, cancelRequested: cancel === '1' };
  }

  /** Records a step of a run `workerId` holds; the answer says whether a cancel was requested meanwhile. */
  async progress(record: JobRecord, workerId: string, step: number, total: number): Promise<TransitionOutcome> {
    const k = this.keys;
    const progress = { step, total };
    const [kind, value, cancel] = (await runScript(
      this.redis,
      PROGRESS,
      [k.job(record.id), k.jobEvents(record.id)],
      [workerId, JSON.stringify(progress), JSON.stringify(this.event('job.progress', record.id, { progress })), k.jobChannel(record.id)],
    )) as [string, string, string];
    if (kind !== 'ok') return { kind: 'refused', status: value as JobStatus, cancelRequested: cancel === '1' };
    record.progress = progress;
    await this.notify('job.progress', record);
    return { kind: 'ok', eventId: value, cancelRequested: cancel === '1' };
  }

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

  private noEffect(record: JobRecord): Effect {
    return { keys: [this.keys.job(record.id), this.keys.job(record.id)], json: '' };
  }

  /** Gives back what a job reserved against its quotas (for an end other than succeeded). */
  private releaseEffect(record: JobRecord): Effect {
    const r = record.reserved;
    if (!r) return this.noEffect(record);
    return {
      keys: [this.keys.quotaCounter(record.tenant, dayPeriod(r.day)), this.keys.quotaCounter(record.tenant, monthPeriod(r.month))],
      json: JSON.stringify({ release: { images: r.images, px: r.pixelSteps } }),
    };
  }

  /** Counts a succeeded job's usage (tenant, key, model, images, pixel-steps, render time). */
  private usageEffect(record: JobRecord, usage: JobUsage, now: number): Effect {
    const day = utcDay(now);
    const keyId = record.keyId ?? 'unknown';
    const images = record.outputs.length;
    const amounts = { jobs: 1, images, px: pixelSteps({ ...record.input, num_images: images }), gpu_ms: Math.round(usage.renderMs) };
    return {
      keys: [this.keys.usageDay(record.tenant, day), this.keys.usageTenants(day)],
      json: JSON.stringify({
        usage: {
          tenant: record.tenant,
          ttlSec: (this.options.usageRetentionDays ?? 400) * 86_400,
          fields: Object.fromEntries(USAGE_FIELDS.map((what) => [usageField(record.model, keyId, what), amounts[what]])),
        },
      }),
    };
  }

  private event(type: JobEventType, jobId: string, extra: Partial<JobStreamEvent>): JobStreamEvent {
    return { type, job_id: jobId, status: statusAfter(type), at: new Date().toISOString(), ...extra };
  }

  /** Tells the notifier; its failure never fails the transition (the record already changed). */
  private async notify(type: JobEventType, record: JobRecord, view?: ViewOf): Promise<void> {
    const build = view ?? this.options.view;
    if (!build) return;
    try {
      await this.notifier.notify({
        type,
        tenant: record.tenant,
        jobId: record.id,
        webhook: record.input.webhook,
        progress: record.progress,
        view: () => build(record),
      });
    } catch (err) {
      this.options.onError?.(err, `notify ${type}`);
    }
  }

  private async transition(
    next: JobRecord,
    from: JobStatus[],
    type: JobEventType,
    fields: string[],
    extra: Partial<JobStreamEvent>,
    workerId: string,
    afterRecord?: FaultPoint,
    indexes: OutputIndex[] = [],
    effect?: Effect,
    leadingEvent = '',
  ): Promise<TransitionOutcome> {
    const k = this.keys;
    const status = statusAfter(type);
    const terminal = isTerminalStatus(status);
    const now = Date.now();
    // a job that ends without succeeding gives back what it reserved against its quotas
    const effects = effect ?? (terminal && status !== 'succeeded' ? this.releaseEffect(next) : this.noEffect(next));
    const [kind, value, cancel] = (await runScript(
      this.redis,
      TRANSITION,
      [k.job(next.id), k.jobEvents(next.id), k.tenantActive(next.tenant), k.retention, k.workerJobs(workerId || next.worker || '-'), k.failures, ...effects.keys, k.failed(next.model), ...indexes.map((i) => i.key)],
      [
        from.join(','),
        JSON.stringify(fields),
        JSON.stringify(this.event(type, next.id, extra)),
        next.id,
        terminal ? '1' : '0',
        String(now + this.options.retentionMs),
        retentionMember(next),
        k.jobChannel(next.id),
        workerId || WORKER_ANY,
        String(this.options.failuresCap ?? 1000),
        String(now),
        status,
        JSON.stringify(indexes.map((i) => [i.value, i.ttlSec])),
        effects.json,
        leadingEvent,
      ],
    )) as [string, string, string];
    if (kind === 'missing') return { kind };
    if (kind === 'refused') return { kind, status: value as JobStatus, cancelRequested: cancel === '1' };
    if (afterRecord) crashAt(this.options.fault, afterRecord);
    if (terminal) this.options.observer?.finished(next, status);
    await this.notify(type, next);
    return { kind: 'ok', eventId: value, cancelRequested: cancel === '1' };
  }
}

function retentionMember(record: JobRecord): string {
  return `${record.tenant}/${record.id}`;
}
