import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { JobErrorInfo, JobEventType, JobModeration, JobStatus, JobStreamEvent } from '@flowfarm/contracts';
import { isTerminalStatus, statusAfter } from '@flowfarm/contracts';
import type { FarmKeys } from './keys.js';
import { recordFromHash, recordToHash, type JobRecord, type StoredOutput } from './job-record.js';
import { dayPeriod, monthPeriod, pixelSteps, quotaPeriods, utcDay } from './quota-periods.js';
import type { QuotaBreach, QuotaName } from '@flowfarm/contracts';
import { CREATE_JOB, REQUEST_CANCEL, TRANSITION } from './job-scripts.js';

export type CreateOutcome =
  | { kind: 'created'; jobId: string }
  | { kind: 'existing'; jobId: string }
  | { kind: 'conflict'; jobId: string }
  | { kind: 'full'; active: number }
  | { kind: 'quota'; breach: QuotaBreach };

export type TransitionOutcome =
  | { kind: 'ok'; eventId: string; cancelRequested: boolean }
  | { kind: 'refused'; status: JobStatus; cancelRequested: boolean }
  | { kind: 'missing' };

export interface StoredEvent {
  /** Stream entry id, used as the SSE `id:` and for Last-Event-ID resume. */
  id: string;
  event: JobStreamEvent;
}

const SHAS: Record<string, string> = {};

/** Where a job sits in a tenant's list (its created time and id): a keyset cursor. */
export interface ListPosition {
  id: string;
  createdMs: number;
}

export interface JobStoreOptions {
  /** How long finished jobs (records, events, files) are kept. */
  retentionMs: number;
  /** How long daily usage figures are kept (default 400 days). */
  usageRetentionDays?: number;
}

/** Usage of one succeeded job, beyond what its record says. */
export interface JobUsage {
  /** Milliseconds the job held a worker slot while rendering (its share of a batch). */
  renderMs: number;
}

/** Counters of one day's usage hash: `<model>|<key id>|<what>`. */
export const USAGE_FIELDS = ['jobs', 'images', 'px', 'gpu_ms'] as const;
export const usageField = (model: string, keyId: string, what: (typeof USAGE_FIELDS)[number]): string => `${model}|${keyId}|${what}`;

/**
 * The farm's job records in Redis: one hash per job, its event stream, the tenant's job index
 * and active set. Every state change goes through one Lua script, so status, events and the
 * pub/sub notice that wakes SSE readers stay consistent.
 */
export class JobStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
    private readonly options: JobStoreOptions,
  ) {}

  /** EVALSHA with the script's hash (sent once, then cached by Redis), EVAL when Redis lost it. */
  private async run(script: string, numKeys: number, ...args: string[]): Promise<unknown> {
    const sha = (SHAS[script] ??= createHash('sha1').update(script).digest('hex'));
    try {
      return await this.redis.evalsha(sha, numKeys, ...args);
    } catch (err) {
      if (!String((err as Error).message).includes('NOSCRIPT')) throw err;
      return this.redis.eval(script, numKeys, ...args);
    }
  }

  /**
   * Creates the record, checking the Idempotency-Key, the active-job cap and the tenant's quotas
   * and reserving the quota in one step. `record.reserved` is filled in here when the job fits;
   * a `startBy` deadline is scheduled with it.
   */
  async create(
    record: JobRecord,
    opts: { maxActive: number; idempotency?: { key: string; bodyHash: string; ttlSec: number } },
  ): Promise<CreateOutcome> {
    const k = this.keys;
    const event = this.event('job.queued', record.id, {});
    const idem = opts.idempotency;
    const periods = quotaPeriods(record.createdAt);
    const images = record.input.num_images ?? 1;
    const px = pixelSteps(record.input);
    record.reserved = { day: periods.day, month: periods.month, images, pixelSteps: px };
    const extras = {
      images,
      px,
      dayResetMs: periods.dayResetMs,
      monthResetMs: periods.monthResetMs,
      // counters outlive their period by a day, so a late release still finds them
      dayTtlSec: Math.ceil((periods.dayResetMs - record.createdAt) / 1000) + 86_400,
      monthTtlSec: Math.ceil((periods.monthResetMs - record.createdAt) / 1000) + 86_400,
      ...(record.startBy ? { deadlineMs: record.startBy } : {}),
    };
    const [kind, value, ...quota] = (await this.run(
      CREATE_JOB,
      9,
      idem ? k.idempotency(record.tenant, idem.key) : k.job(record.id),
      k.tenantActive(record.tenant),
      k.job(record.id),
      k.tenantJobs(record.tenant),
      k.jobEvents(record.id),
      k.tenantPolicy(record.tenant),
      k.quotaCounter(record.tenant, dayPeriod(periods.day)),
      k.quotaCounter(record.tenant, monthPeriod(periods.month)),
      k.deadlines,
      record.id,
      idem ? '1' : '0',
      idem?.bodyHash ?? '',
      String(opts.maxActive),
      String(idem?.ttlSec ?? 0),
      JSON.stringify(recordToHash(record)),
      String(record.createdAt),
      JSON.stringify(event),
      k.eventsChannel,
      JSON.stringify(extras),
    )) as string[];
    if (kind === 'full') return { kind, active: Number(value) };
    if (kind === 'quota') {
      const [limit, used, requested, resetsAtMs] = quota.map(Number);
      return { kind, breach: { quota: value as QuotaName, limit, used, requested, resetsAtMs } };
    }
    return { kind: kind as 'created' | 'existing' | 'conflict', jobId: value };
  }

  async get(id: string): Promise<JobRecord | null> {
    return recordFromHash(await this.redis.hgetall(this.keys.job(id)));
  }

  /** Job ids of a tenant, newest first. */
  async listIds(tenant: string, offset: number, count: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.tenantJobs(tenant), offset, offset + count - 1);
  }

  /**
   * Up to `count` of a tenant's jobs, newest first, strictly after `after` in that order
   * (keyset pagination: created time, then id, descending). Jobs submitted or removed between
   * two pages never shift the next page, so no job is listed twice or skipped.
   */
  async listAfter(tenant: string, after: ListPosition | null, count: number): Promise<ListPosition[]> {
    const key = this.keys.tenantJobs(tenant);
    const page: ListPosition[] = [];
    if (after) {
      // Jobs created in the same millisecond as the cursor: sorted set members of equal score
      // come in descending id order when reversed, so those after it have smaller ids.
      const ties = await this.redis.zrange(key, after.createdMs, after.createdMs, 'BYSCORE');
      for (const id of ties.filter((id) => id < after.id).sort().reverse().slice(0, count)) page.push({ id, createdMs: after.createdMs });
    }
    if (page.length < count) {
      const max = after ? `(${after.createdMs}` : '+inf';
      const rest = await this.redis.zrange(key, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, count - page.length, 'WITHSCORES');
      for (let i = 0; i < rest.length; i += 2) page.push({ id: rest[i], createdMs: Number(rest[i + 1]) });
    }
    return page;
  }

  async activeCount(tenant: string): Promise<number> {
    return this.redis.scard(this.keys.tenantActive(tenant));
  }

  /** queued|running → running (first run, a retry, or a re-run after a stalled worker). */
  markStarted(record: JobRecord, attempt: number): Promise<TransitionOutcome> {
    const fields: Record<string, string> = { status: 'running', attempt: String(attempt), progress: JSON.stringify({ step: 0, total: 0 }) };
    if (record.startedAt === null) fields.started_at = String(Date.now());
    return this.transition(record, ['queued', 'running'], 'job.started', fields, { attempt });
  }

  /** Records one finished step; the answer says whether a cancel was requested meanwhile. */
  reportProgress(record: JobRecord, step: number, total: number): Promise<TransitionOutcome> {
    const progress = { step, total };
    return this.transition(record, ['running'], 'job.progress', { progress: JSON.stringify(progress) }, { progress });
  }

  /** running → succeeded, counting the job's usage (tenant, key, model, images, pixel-steps, render time) in the same step. */
  markSucceeded(record: JobRecord, outputs: StoredOutput[], usage: JobUsage = { renderMs: 0 }): Promise<TransitionOutcome> {
    const now = Date.now();
    const fields = { status: 'succeeded', outputs: JSON.stringify(outputs), finished_at: String(now), render_ms: String(Math.round(usage.renderMs)) };
    const day = utcDay(now);
    const keyId = record.keyId ?? 'unknown';
    const images = outputs.length;
    const amounts = { jobs: 1, images, px: pixelSteps({ ...record.input, num_images: images }), gpu_ms: Math.round(usage.renderMs) };
    const effect = {
      keys: [this.keys.usageDay(record.tenant, day), this.keys.usageTenants(day)] as [string, string],
      json: JSON.stringify({
        usage: {
          tenant: record.tenant,
          ttlSec: (this.options.usageRetentionDays ?? 400) * 86_400,
          fields: Object.fromEntries(USAGE_FIELDS.map((what) => [usageField(record.model, keyId, what), amounts[what]])),
        },
      }),
    };
    return this.transition(record, ['running'], 'job.succeeded', fields, {}, effect);
  }

  /** queued (never started) → expired: its start deadline passed. */
  markExpired(record: JobRecord): Promise<TransitionOutcome> {
    const fields = { status: 'expired', finished_at: String(Date.now()), error: JSON.stringify({ code: 'start_timeout', message: 'not started before its deadline' }) };
    return this.transition(record, ['queued'], 'job.expired', fields, {});
  }

  markFailed(record: JobRecord, error: JobErrorInfo): Promise<TransitionOutcome> {
    const fields = { status: 'failed', error: JSON.stringify(error), finished_at: String(Date.now()) };
    return this.transition(record, ['queued', 'running'], 'job.failed', fields, { error });
  }

  markCanceled(record: JobRecord): Promise<TransitionOutcome> {
    const fields = { status: 'canceled', finished_at: String(Date.now()) };
    return this.transition(record, ['queued', 'running'], 'job.canceled', fields, {});
  }

  /** queued|running → moderated: stopped by the prompt check at submit or the output check after decode. */
  markModerated(record: JobRecord, moderation: JobModeration): Promise<TransitionOutcome> {
    const fields = { status: 'moderated', moderation: JSON.stringify(moderation), finished_at: String(Date.now()) };
    return this.transition(record, ['queued', 'running'], 'job.moderated', fields, { moderation });
  }

  /** running → queued after a transient failure, while BullMQ waits to retry it. */
  markRetrying(record: JobRecord, error: JobErrorInfo, attempt: number): Promise<TransitionOutcome> {
    const fields = { status: 'queued', error: JSON.stringify(error) };
    return this.transition(record, ['running'], 'job.queued', fields, { error, attempt });
  }

  /** 'canceled_now' (was queued), 'requested' (running: stops at the next step), 'missing', or the terminal status. */
  async requestCancel(record: JobRecord): Promise<'canceled_now' | 'requested' | 'missing' | JobStatus> {
    const k = this.keys;
    const now = Date.now();
    const release = this.releaseEffect(record);
    return (await this.run(
      REQUEST_CANCEL,
      6,
      k.job(record.id),
      k.jobEvents(record.id),
      k.tenantActive(record.tenant),
      k.retention,
      ...release.keys,
      record.id,
      String(now),
      JSON.stringify(this.event('job.canceled', record.id, {})),
      String(now + this.options.retentionMs),
      retentionMember(record),
      k.eventsChannel,
      k.cancelChannel,
      release.json,
    )) as 'canceled_now' | 'requested' | 'missing' | JobStatus;
  }

  /** Events after `afterId` (exclusive; '0' for all), oldest first. */
  async readEvents(id: string, afterId = '0', count = 1000): Promise<StoredEvent[]> {
    const start = afterId === '0' ? '-' : `(${afterId}`;
    const entries = await this.redis.xrange(this.keys.jobEvents(id), start, '+', 'COUNT', count);
    return entries.map(([eventId, fields]) => ({ id: eventId, event: JSON.parse(fields[1]) as JobStreamEvent }));
  }

  /** Finished jobs whose retention has run out, as `{tenant, id}`; each is claimed by one caller only. */
  async claimExpired(now: number, limit = 100): Promise<Array<{ tenant: string; id: string }>> {
    const members = await this.redis.zrangebyscore(this.keys.retention, '-inf', now, 'LIMIT', 0, limit);
    const claimed: Array<{ tenant: string; id: string }> = [];
    for (const member of members) {
      if ((await this.redis.zrem(this.keys.retention, member)) === 1) {
        const [tenant, id] = member.split('/');
        claimed.push({ tenant, id });
      }
    }
    return claimed;
  }

  /** Deletes a job's record, events and index entries (its files are the caller's). */
  async remove(tenant: string, id: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.job(id), this.keys.jobEvents(id))
      .zrem(this.keys.tenantJobs(tenant), id)
      .srem(this.keys.tenantActive(tenant), id)
      .exec();
  }

  private event(type: JobEventType, jobId: string, extra: Partial<JobStreamEvent>): JobStreamEvent {
    return { type, job_id: jobId, status: statusAfter(type), at: new Date().toISOString(), ...extra };
  }

  /** Gives back what a job reserved against its quotas (for an end other than succeeded). */
  private releaseEffect(record: JobRecord): { keys: [string, string]; json: string } {
    const r = record.reserved;
    if (!r) return { keys: [this.keys.job(record.id), this.keys.job(record.id)], json: '' };
    return {
      keys: [this.keys.quotaCounter(record.tenant, dayPeriod(r.day)), this.keys.quotaCounter(record.tenant, monthPeriod(r.month))],
      json: JSON.stringify({ release: { images: r.images, px: r.pixelSteps } }),
    };
  }

  private async transition(
    record: JobRecord,
    from: JobStatus[],
    type: JobEventType,
    fields: Record<string, string>,
    extra: Partial<JobStreamEvent>,
    effect?: { keys: [string, string]; json: string },
  ): Promise<TransitionOutcome> {
    const k = this.keys;
    const status = statusAfter(type);
    const terminal = isTerminalStatus(status);
    const effects = effect ?? (terminal && status !== 'succeeded' ? this.releaseEffect(record) : { keys: [k.job(record.id), k.job(record.id)] as [string, string], json: '' });
    const [kind, value, cancel] = (await this.run(
      TRANSITION,
      6,
      k.job(record.id),
      k.jobEvents(record.id),
      k.tenantActive(record.tenant),
      k.retention,
      ...effects.keys,
      from.join(','),
      JSON.stringify(fields),
      JSON.stringify(this.event(type, record.id, extra)),
      record.id,
      terminal ? '1' : '0',
      String(Date.now() + this.options.retentionMs),
      retentionMember(record),
      k.eventsChannel,
      effects.json,
    )) as [string, string, string];
    if (kind === 'missing') return { kind };
    if (kind === 'refused') return { kind, status: value as JobStatus, cancelRequested: cancel === '1' };
    return { kind: 'ok', eventId: value, cancelRequested: cancel === '1' };
  }
}

function retentionMember(record: JobRecord): string {
  return `${record.tenant}/${record.id}`;
}
