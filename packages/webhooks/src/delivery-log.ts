// The record of every webhook delivery and its attempts, kept in Redis so any api replica can
// answer GET /v1/jobs/:id/deliveries and so a re-run of a job finds the delivery it already
// created instead of making a second one.
import type { Redis } from 'ioredis';
import type { WebhookEventType } from './types.js';

/** How long delivery records live: longer than the retry schedule (~3 days) and job retention. */
export const DELIVERY_RECORD_TTL_S = 7 * 24 * 3600;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'endpoint_disabled' | 'refused';

/** A delivery in one of these states is finished: notifying the same event again sends nothing. */
export const FINAL_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['delivered', 'failed', 'endpoint_disabled', 'refused'];

export interface DeliveryAttempt {
  at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  next_try_at: string | null;
}

export interface DeliveryRecord {
  id: string;
  job_id: string;
  event: WebhookEventType;
  url: string;
  status: DeliveryStatus;
  status_detail: string | null;
  created_at: string;
  updated_at: string;
  attempts: DeliveryAttempt[];
}

export interface NewDelivery {
  id: string;
  tenant: string;
  jobId: string;
  event: WebhookEventType;
  url: string;
  /** The exact body sent on every attempt (signed as is). */
  payload: string;
}

// Creates the record only if it does not exist, atomically, and indexes it under its job.
// Returns the status of the record that is there afterwards and whether it is new.
const CREATE_IF_ABSENT = `
local existing = redis.call('HGET', KEYS[1], 'status')
if existing then return {0, existing} end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'tenant', ARGV[2], 'job_id', ARGV[3], 'event', ARGV[4],
  'url', ARGV[5], 'payload', ARGV[6], 'status', ARGV[7], 'created_at', ARGV[8], 'updated_at', ARGV[8])
redis.call('EXPIRE', KEYS[1], ARGV[9])
redis.call('ZADD', KEYS[2], ARGV[10], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[9])
return {1, ARGV[7]}
`;

export class DeliveryLog {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private recordKey(id: string): string {
    return `${this.prefix}:wh:delivery:${id}`;
  }
  private attemptsKey(id: string): string {
    return `${this.prefix}:wh:attempts:${id}`;
  }
  private jobKey(tenant: string, jobId: string): string {
    return `${this.prefix}:wh:job:${tenant}:${jobId}`;
  }

  /** Creates a delivery unless one with this id exists; says which happened and its status. */
  async createIfAbsent(d: NewDelivery, status: DeliveryStatus = 'pending'): Promise<{ created: boolean; status: DeliveryStatus }> {
    const now = new Date();
    const [created, current] = (await this.redis.eval(
      CREATE_IF_ABSENT,
      2,
      this.recordKey(d.id),
      this.jobKey(d.tenant, d.jobId),
      d.id,
      d.tenant,
      d.jobId,
      d.event,
      d.url,
      d.payload,
      status,
      now.toISOString(),
      DELIVERY_RECORD_TTL_S,
      now.getTime(),
    )) as [number, DeliveryStatus];
    return { created: created === 1, status: current };
  }

  async setStatus(id: string, status: DeliveryStatus, detail: string | null = null): Promise<void> {
    await this.redis
      .multi()
      .hset(this.recordKey(id), 'status', status, 'status_detail', detail ?? '', 'updated_at', new Date().toISOString())
      .expire(this.recordKey(id), DELIVERY_RECORD_TTL_S)
      .exec();
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt): Promise<void> {
    await this.redis
      .multi()
      .rpush(this.attemptsKey(id), JSON.stringify(attempt))
      .expire(this.attemptsKey(id), DELIVERY_RECORD_TTL_S)
      .exec();
  }

  /** Counts redeliveries of one delivery, so each gets its own queue job id. */
  async nextRedeliveryNumber(id: string): Promise<number> {
    return this.redis.hincrby(this.recordKey(id), 'redeliveries', 1);
  }

  /** The stored payload and routing of a delivery (for a redelivery), or null. */
  async source(tenant: string, jobId: string, id: string): Promise<NewDelivery | null> {
    const h = await this.redis.hgetall(this.recordKey(id));
    if (!h.status || h.tenant !== tenant || h.job_id !== jobId) return null;
    return { id, tenant, jobId, event: h.event as WebhookEventType, url: h.url, payload: h.payload };
  }

  async get(tenant: string, jobId: string, id: string): Promise<DeliveryRecord | null> {
    const [h, rawAttempts] = await Promise.all([
      this.redis.hgetall(this.recordKey(id)),
      this.redis.lrange(this.attemptsKey(id), 0, -1),
    ]);
    if (!h.status || h.tenant !== tenant || h.job_id !== jobId) return null;
    return {
      id,
      job_id: h.job_id,
      event: h.event as WebhookEventType,
      url: h.url,
      status: h.status as DeliveryStatus,
      status_detail: h.status_detail || null,
      created_at: h.created_at,
      updated_at: h.updated_at,
      attempts: rawAttempts.map((a) => JSON.parse(a) as DeliveryAttempt),
    };
  }

  /** The job's deliveries, oldest first. */
  async listForJob(tenant: string, jobId: string): Promise<DeliveryRecord[]> {
    const ids = await this.redis.zrange(this.jobKey(tenant, jobId), 0, -1);
    const records = await Promise.all(ids.map((id) => this.get(tenant, jobId, id)));
    return records.filter((r): r is DeliveryRecord => r !== null);
  }
}
