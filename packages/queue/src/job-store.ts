import type { Redis } from 'ioredis';
import type { JobStreamEvent } from '@flowfarm/contracts';
import type { FarmKeys } from './keys.js';
import { recordFromHash, type JobRecord } from './job-record.js';

export interface StoredEvent {
  /** Stream entry id, used as the SSE `id:` and for Last-Event-ID resume. */
  id: string;
  event: JobStreamEvent;
}

/** Where a job sits in a tenant's list (its created time and id): a keyset cursor. */
export interface ListPosition {
  id: string;
  createdMs: number;
}

/**
 * Id of the `job.queued` event every job starts with. It is not stored: the event is made from
 * the record when read (a queued job needs no stream of its own), and this id sorts before
 * every stream entry id, so Last-Event-ID resume stays gap-free.
 */
export const SUBMIT_EVENT_ID = '0-1';

/**
 * Reads of the farm's job records (writes go through the lifecycle, `JobLifecycle`): one hash
 * per job, its event stream, the tenant's job index, the recent-failures list, and the retention
 * schedule the sweeper works through.
 */
export class JobStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
  ) {}

  async get(id: string): Promise<JobRecord | null> {
    return recordFromHash(await this.redis.hgetall(this.keys.job(id)));
  }

  /** Several records in one round trip (missing ones are left out), in the order asked. */
  async getMany(ids: string[]): Promise<JobRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.job(id));
    const answers = (await pipeline.exec()) ?? [];
    return answers.flatMap(([err, hash]) => {
      if (err) throw err;
      const record = recordFromHash(hash as Record<string, string>);
      return record ? [record] : [];
    });
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

  /** Ids of the most recent failed jobs of the whole farm, newest first (the ops view). */
  async recentFailures(count: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.failures, 0, count - 1);
  }

  /**
   * Events after `afterId` (exclusive; '0' for all), oldest first. The first, `job.queued`, is
   * made from the record (`SUBMIT_EVENT_ID`); the rest come from the job's stream.
   */
  async readEvents(id: string, afterId = '0', count = 1000): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    if (afterId === '0') {
      const created = await this.redis.hget(this.keys.job(id), 'created_at');
      if (created === null) return [];
      out.push({ id: SUBMIT_EVENT_ID, event: { type: 'job.queued', job_id: id, status: 'queued', at: new Date(Number(created)).toISOString() } });
    }
    const start = afterId === '0' ? `(${SUBMIT_EVENT_ID}` : `(${afterId}`;
    const entries = await this.redis.xrange(this.keys.jobEvents(id), start, '+', 'COUNT', count);
    for (const [eventId, fields] of entries) out.push({ id: eventId, event: JSON.parse(fields[1]) as JobStreamEvent });
    return out;
  }

  /** Finished jobs whose retention has run out, as `{tenant, id}`; each is claimed by one caller only. */
  async claimExpired(now: number, limit = 100): Promise<Array<{ tenant: string; id: string }>> {
    const members = await this.redis.zrangebyscore(this.keys.retention, '-inf', now, 'LIMIT', 0, limit);
    if (members.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const member of members) pipeline.zrem(this.keys.retention, member);
    const removed = (await pipeline.exec()) ?? [];
    return members.flatMap((member, i) => {
      if (removed[i]?.[1] !== 1) return [];
      const [tenant, id] = member.split('/');
      return [{ tenant, id }];
    });
  }

  /** Deletes a job's record, events and index entries (its files are the caller's). */
  async remove(tenant: string, id: string): Promise<void> {
    await this.redis
      .multi()
      .del(this.keys.job(id), this.keys.jobEvents(id))
      .zrem(this.keys.tenantJobs(tenant), id)
      .srem(this.keys.tenantActive(tenant), id)
      .zrem(this.keys.failures, id)
      .exec();
  }
}

/** Usage of one succeeded job, beyond what its record says. */
export interface JobUsage {
  /** Milliseconds the job held a worker slot while rendering (its share of a batch). */
  renderMs: number;
}

/** Counters of one day's usage hash: `<model>|<key id>|<what>`. */
export const USAGE_FIELDS = ['jobs', 'images', 'px', 'gpu_ms'] as const;
export const usageField = (model: string, keyId: string, what: (typeof USAGE_FIELDS)[number]): string => `${model}|${keyId}|${what}`;
