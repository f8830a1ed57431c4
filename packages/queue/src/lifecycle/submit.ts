import type { JobEventType, JobModeration, JobStreamEvent } from '@flowfarm/contracts';
import type { QuotaName } from '@flowfarm/contracts';
import { renderQueueName } from '../keys.js';
import { fairUnit } from '../fair-share.js';
import { dayPeriod, monthPeriod, quotaPeriods } from '../quota-periods.js';
import { recordToHash, submitReservation, type JobRecord, type StoredOutput } from '../job-record.js';
import { runScript } from '../lua.js';
import { crashAt } from './faults.js';
import { SUBMIT } from './scripts.js';
import { completeStage, type StageOutcome } from './stages.js';
import { LifecycleCore } from './core.js';
import { dispatchPriority, retentionMember, type SubmitOutcome, type ViewOf } from './types.js';

/** Submit and dispatch: the record, its idempotency key, quota and fair-share slot and its token in one script; the outbox of chain stages. */
export abstract class SubmitTransitions extends LifecycleCore {
  /**
   * Records a new job and dispatches it in one script: idempotency key, tenant index, active cap,
   * quotas, fair-share slot and its BullMQ token together, so no crash leaves a job recorded but
   * not queued (or queued twice). A job stopped by prompt moderation is recorded as moderated and
   * never reaches a queue.
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
    const reserved = moderated ? null : submitReservation(record.createdAt, record.input);
    const extras = !reserved
      ? {}
      : {
          images: reserved.images,
          px: reserved.pixelSteps,
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
    const token = this.queues.tokenFields(record.id);
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
        `${queuePrefix}${record.id}`,
        k.retention,
        k.fairState(record.model),
        k.fairTenantQueue(record.model, record.tenant),
        `${queuePrefix}prioritized`,
        `${queuePrefix}wait`,
        `${queuePrefix}meta`,
        opts.append?.stream ?? k.job(record.id),
        k.waiting(record.model),
        `${queuePrefix}id`,
        `${queuePrefix}pc`,
        `${queuePrefix}marker`,
        `${queuePrefix}events`,
        `${queuePrefix}active`,
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
        JSON.stringify(token),
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
    const [priority, position, jumped] = quota.map(Number);
    if (!moderated) stored.dispatchPriority = priority;
    crashAt(this.options.fault, 'submit:after-record');
    this.options.observer?.submitted(stored);
    if (moderated) {
      this.options.observer?.finished(stored, 'moderated');
      await this.notify('job.moderated', stored, opts.view);
      return { kind: 'created', record: stored, queuePosition: null };
    }
    // Its token is in the queue (written with the record): a busy worker makes room for it rather than have it wait for a render to end.
    if (jumped === 1) await this.redis.publish(k.fairJumpChannel, `${record.model} ${record.id}`).catch(() => {});
    await this.notify('job.queued', stored, opts.view);
    return { kind: 'created', record: stored, queuePosition: position >= 0 ? position : null };
  }

  /**
   * Adds the job's BullMQ token (idempotent: the token's id is the job's): the reconciler's step
   * for a prompt chain's next stage whose worker died before dispatching it.
   */
  async dispatch(record: JobRecord): Promise<void> {
    await this.queues.dispatch(record.model, record.id, record.dispatchPriority ?? dispatchPriority(record), record.stage);
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
   * Outbox entries older than `graceMs`: a prompt chain's next stages whose worker died between
   * recording the stage and adding the next token (and entries of jobs submitted before tokens
   * were written with the record). Tokens are added again for jobs still queued (a no-op when the
   * token is there), and the entries are dropped. Returns how many entries were handled.
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
}
