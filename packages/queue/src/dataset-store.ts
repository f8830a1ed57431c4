import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DatasetSpec, DatasetStatus, QuotaBreach, QuotaName } from '@flowfarm/contracts';
import { FairScheduler, megapixelSteps } from './fair-share.js';
import { renderQueueName, type FarmKeys } from './keys.js';
import { USAGE_FIELDS, usageField } from './job-store.js';
import { runScript } from './lua.js';
import { dayPeriod, monthPeriod, pixelSteps, quotaPeriods, utcDay } from './quota-periods.js';
import { DATASET_SCRIPTS } from './dataset-scripts.js';

/** Items per chunk job: one chunk renders as a few pipeline batches. */
export const DATASET_CHUNK = 16;
/** Chunks queued ahead per dataset: only these exist as BullMQ jobs at any time. */
export const DATASET_WINDOW = 8;

/** A dataset's spec with every default filled in. */
export type FilledDatasetSpec = DatasetSpec & { seed: number; width: number; height: number; steps: number; model: string };

export interface DatasetRecord {
  id: string;
  tenant: string;
  spec: FilledDatasetSpec;
  status: DatasetStatus;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  /** API key that created it (usage is metered per key, as for jobs) */
  keyId?: string | null;
  /** megapixel-steps of the model's default job: the fair-share tag resolution of its queue */
  defaultJobCost?: number;
}

/** Name of a dataset chunk's job in the model's render queue (render jobs are named `render`). */
export const DATASET_CHUNK_JOB = 'dataset';

export interface DatasetStoreOptions {
  /** Finished datasets (record, item records, files) are removed this long after they end (JOB_RETENTION_SECONDS). */
  retentionMs?: number;
  /** How long daily usage figures are kept (as for jobs). */
  usageRetentionDays?: number;
  /**
   * Finalize jobs: BullMQ's attempts and first backoff, and the pause before one BullMQ gave up
   * on is queued again (`requeueFinalize`). Defaults 5, 1 s, 60 s (tests shorten them).
   */
  finalizeRetry?: { attempts: number; backoffMs: number; requeueDelayMs: number };
}

const FINALIZE_RETRY = { attempts: 5, backoffMs: 1000, requeueDelayMs: 60_000 };

export type DatasetCreateOutcome = { kind: 'created' } | { kind: 'quota'; breach: QuotaBreach };

/**
 * A dataset's BullMQ jobs: chunks (render items) run in the model's render queue with a fair-share
 * priority, like the tenant's other jobs; finalize (assemble the set, or send the canceled
 * webhook) runs in the dataset queue.
 */
export type DatasetJobData = { kind: 'chunk'; datasetId: string; chunk: number } | { kind: 'finalize'; datasetId: string };

export function datasetQueueName(model: string): string {
  return `dataset.${model}`;
}

const chunkJobId = (id: string, chunk: number) => `${id}-c${chunk}`;
const finalizeJobId = (id: string) => `${id}-final`;

/**
 * Datasets in Redis: one hash per dataset, a bitmap of finished items (and one of failed items),
 * and a hash of per-item manifest records keyed by item index, so a re-run item overwrites its
 * own record and the manifest can never hold an item twice. Chunks are BullMQ jobs with
 * deterministic ids (adding one twice is a no-op); each finished chunk queues the chunk
 * DATASET_WINDOW ahead, so a 100,000-item dataset never has more than a window of jobs.
 */
export class DatasetStore {
  private readonly queues = new Map<string, Queue<DatasetJobData>>();
  private readonly renderQueues = new Map<string, Queue<DatasetJobData>>();
  private readonly fair: FairScheduler;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
    private readonly options: DatasetStoreOptions = {},
  ) {
    this.fair = new FairScheduler(redis, keys);
  }

  private get finalizeRetry() {
    return this.options.finalizeRetry ?? FINALIZE_RETRY;
  }

  private get retentionKey(): string {
    return `${this.keys.bullPrefix}:datasets:retention`;
  }

  private k(id: string, part?: string): string {
    return `${this.keys.bullPrefix}:dataset:${id}${part ? `:${part}` : ''}`;
  }

  private tenantList(tenant: string): string {
    return `${this.keys.bullPrefix}:tenant:${tenant}:datasets`;
  }

  queue(model: string): Queue<DatasetJobData> {
    let q = this.queues.get(model);
    if (!q) {
      q = new Queue<DatasetJobData>(datasetQueueName(model), {
        connection: this.redis as unknown as ConnectionOptions,
        prefix: this.keys.bullPrefix,
        defaultJobOptions: { attempts: this.finalizeRetry.attempts, backoff: { type: 'exponential', delay: this.finalizeRetry.backoffMs }, removeOnComplete: true, removeOnFail: 1000 },
      });
      this.queues.set(model, q);
    }
    return q;
  }

  /** The model's render queue, where chunks wait in fair-share order with everyone's jobs. */
  renderQueue(model: string): Queue<DatasetJobData> {
    let q = this.renderQueues.get(model);
    if (!q) {
      q = new Queue<DatasetJobData>(renderQueueName(model), { connection: this.redis as unknown as ConnectionOptions, prefix: this.keys.bullPrefix });
      this.renderQueues.set(model, q);
    }
    return q;
  }

  chunks(record: Pick<DatasetRecord, 'spec'>): number {
    return Math.ceil(record.spec.count / DATASET_CHUNK);
  }

  /** What one item costs: pixel-steps (quotas, usage) and megapixel-steps (fair share). */
  static itemCost(spec: Pick<FilledDatasetSpec, 'width' | 'height' | 'steps'>): { px: number; mps: number } {
    return { px: pixelSteps({ ...spec, num_images: 1 }), mps: megapixelSteps({ ...spec, numImages: 1 }) };
  }

  /**
   * Stores the record and reserves the whole set against the tenant's quotas in one step (429
   * when it does not fit: nothing is stored), then queues the first window of chunks.
   */
  async create(record: DatasetRecord): Promise<DatasetCreateOutcome> {
    const { count } = record.spec;
    const { px } = DatasetStore.itemCost(record.spec);
    const periods = quotaPeriods(record.createdAt);
    const extras = {
      images: count, px: px * count, dayResetMs: periods.dayResetMs, monthResetMs: periods.monthResetMs,
      dayTtlSec: Math.ceil((periods.dayResetMs - record.createdAt) / 1000) + 86_400,
      monthTtlSec: Math.ceil((periods.monthResetMs - record.createdAt) / 1000) + 86_400,
    };
    const fields = {
      id: record.id, tenant: record.tenant, spec: JSON.stringify(record.spec), status: record.status,
      created_at: String(record.createdAt), started_at: '', finished_at: '', error: '',
      key_id: record.keyId ?? '', default_job_cost: String(record.defaultJobCost ?? 1),
      quota_day: periods.day, quota_month: periods.month, item_px: String(px),
    };
    const reply = (await runScript(
      this.redis, DATASET_SCRIPTS.create,
      [this.k(record.id), this.tenantList(record.tenant), this.keys.tenantPolicy(record.tenant), ...this.quotaKeys(record.tenant, periods.day, periods.month)],
      [JSON.stringify(fields), String(record.createdAt), record.id, JSON.stringify(extras)],
    )) as string[];
    if (reply[0] === 'quota') {
      const [, quota, limit, used, requested, resetsAtMs] = reply;
      return { kind: 'quota', breach: { quota: quota as QuotaName, limit: Number(limit), used: Number(used), requested: Number(requested), resetsAtMs: Number(resetsAtMs) } };
    }
    for (let chunk = 0; chunk < Math.min(DATASET_WINDOW, this.chunks(record)); chunk++) await this.queueChunk(record, chunk);
    return { kind: 'created' };
  }

  private quotaKeys(tenant: string, day: string, month: string): [string, string] {
    return [this.keys.quotaCounter(tenant, dayPeriod(day)), this.keys.quotaCounter(tenant, monthPeriod(month))];
  }

  private async quotaKeysOf(id: string, tenant: string): Promise<[string, string]> {
    const [day, month] = await this.redis.hmget(this.k(id), 'quota_day', 'quota_month');
    return this.quotaKeys(tenant, day ?? '', month ?? '');
  }

  /**
   * Queues one chunk in the model's render queue with its fair-share priority: the chunk costs
   * the tenant its items' megapixel-steps, as a job of that many images would. Idempotent: a
   * chunk already queued is neither charged nor added again.
   */
  async queueChunk(record: DatasetRecord, chunk: number): Promise<void> {
    const jobId = chunkJobId(record.id, chunk);
    const q = this.renderQueue(record.spec.model);
    if (await q.getJob(jobId)) return;
    const items = Math.min(DATASET_CHUNK, record.spec.count - chunk * DATASET_CHUNK);
    const priority = await this.fair.assign({
      model: record.spec.model, tenant: record.tenant, jobId, rank: 1,
      cost: DatasetStore.itemCost(record.spec).mps * items, defaultJobCost: record.defaultJobCost ?? 1,
    });
    await q.add(DATASET_CHUNK_JOB, { kind: 'chunk', datasetId: record.id, chunk }, {
      jobId, priority, attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: true,
    });
  }

  async get(id: string): Promise<DatasetRecord | null> {
    const h = await this.redis.hgetall(this.k(id));
    if (!h.id) return null;
    const num = (v: string) => (v ? Number(v) : null);
    return {
      id: h.id, tenant: h.tenant, spec: JSON.parse(h.spec) as FilledDatasetSpec, status: h.status as DatasetStatus,
      createdAt: Number(h.created_at), startedAt: num(h.started_at), finishedAt: num(h.finished_at), error: h.error || null,
      keyId: h.key_id || null, defaultJobCost: h.default_job_cost ? Number(h.default_job_cost) : 1,
    };
  }

  /** Newest first. */
  async list(tenant: string, limit: number): Promise<DatasetRecord[]> {
    const ids = await this.redis.zrevrange(this.tenantList(tenant), 0, limit - 1);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is DatasetRecord => r !== null);
  }

  async counts(id: string, count: number): Promise<{ succeeded: number; failed: number; pending: number }> {
    const [done, failed] = await Promise.all([this.redis.bitcount(this.k(id, 'done')), this.redis.bitcount(this.k(id, 'failed'))]);
    return { succeeded: done - failed, failed, pending: count - done };
  }

  async isDone(id: string, index: number): Promise<boolean> {
    return (await this.redis.getbit(this.k(id, 'done'), index)) === 1;
  }

  /**
   * Records one item's manifest line (or its failure) and, the first time only, meters it: a
   * rendered item counts in the tenant's usage (an image, its pixel-steps, `gpuMs`) in the same
   * script step that sets its done bit, so a re-run after a crash counts nothing twice; a failed
   * one gives its quota reservation back. Returns false when the item was recorded before.
   */
  async recordItem(record: DatasetRecord, index: number, line: Record<string, unknown>, failed: boolean, gpuMs = 0, now = Date.now()): Promise<boolean> {
    const { id, tenant } = record;
    const day = utcDay(now);
    const { px } = DatasetStore.itemCost(record.spec);
    const amounts = { jobs: 0, images: 1, px, gpu_ms: Math.round(gpuMs) };
    const usage = {
      tenant, ttlSec: (this.options.usageRetentionDays ?? 400) * 86_400,
      fields: Object.fromEntries(USAGE_FIELDS.filter((w) => amounts[w] !== 0).map((w) => [usageField(record.spec.model, record.keyId ?? 'unknown', w), amounts[w]])),
    };
    const reply = await runScript(
      this.redis, DATASET_SCRIPTS.recordItem,
      [this.k(id, 'items'), this.k(id, 'done'), this.k(id, 'failed'), this.k(id), this.keys.usageDay(tenant, day), this.keys.usageTenants(day), ...(await this.quotaKeysOf(id, tenant)), this.k(id, 'order')],
      [String(index), JSON.stringify(line), failed ? '1' : '0', JSON.stringify(usage), String(px)],
    );
    return Number(reply) === 1;
  }

  /** Item records in index order, `batch` at a time (never the whole set in memory at once). */
  async *itemRecords(id: string, count: number, batch = 500): AsyncGenerator<Record<string, unknown>> {
    for (let start = 0; start < count; start += batch) {
      const fields = Array.from({ length: Math.min(batch, count - start) }, (_, i) => String(start + i));
      const values = await this.redis.hmget(this.k(id, 'items'), ...fields);
      for (const v of values) if (v) yield JSON.parse(v) as Record<string, unknown>;
    }
  }

  /**
   * Manifest lines (JSON text) in the order the items were recorded, from the `from`-th on,
   * `batch` at a time: the streaming manifest, readable while the dataset runs (a reader that
   * has n lines asks from n for the new ones).
   */
  async *recordedLines(id: string, from = 0, batch = 500): AsyncGenerator<string> {
    for (let start = from; ; start += batch) {
      const indexes = await this.redis.lrange(this.k(id, 'order'), start, start + batch - 1);
      if (indexes.length === 0) return;
      const values = await this.redis.hmget(this.k(id, 'items'), ...indexes);
      for (const v of values) if (v) yield v;
      if (indexes.length < batch) return;
    }
  }

  /** Counts one more re-queue of a chunk (or the finalize job) BullMQ gave up on; returns the count. */
  async countRequeue(id: string, chunk: number | 'final'): Promise<number> {
    return this.redis.hincrby(this.k(id), `requeued:${chunk}`, 1);
  }

  /** Queues the chunk DATASET_WINDOW after `chunk`, and the finalize job once every item is done. */
  async advance(record: DatasetRecord, chunk: number): Promise<void> {
    const next = chunk + DATASET_WINDOW;
    if (next < this.chunks(record)) await this.queueChunk(record, next);
    const done = await this.redis.bitcount(this.k(record.id, 'done'));
    if (done >= record.spec.count) await this.queueFinalize(record);
  }

  /** Queues the finalize job (assemble the files; for a canceled dataset, its one webhook). Idempotent. */
  async queueFinalize(record: DatasetRecord): Promise<void> {
    await this.queue(record.spec.model).add('finalize', { kind: 'finalize', datasetId: record.id }, { jobId: finalizeJobId(record.id) });
  }

  /**
   * Queues the finalize job again, after a pause, once BullMQ gave up on it (attempts spent, or
   * its workers kept dying). The failed job is kept for inspection under the same id, which
   * would make a plain `add` a no-op: it is removed first.
   */
  async requeueFinalize(record: DatasetRecord): Promise<void> {
    const q = this.queue(record.spec.model);
    const jobId = finalizeJobId(record.id);
    const failed = await q.getJob(jobId);
    if (failed && (await failed.isFailed())) await failed.remove();
    await q.add('finalize', { kind: 'finalize', datasetId: record.id }, { jobId, delay: this.finalizeRetry.requeueDelayMs });
  }

  /** queued → running (first chunk). */
  async markRunning(id: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('hget', KEYS[1], 'status') == 'queued' then redis.call('hset', KEYS[1], 'status', 'running', 'started_at', ARGV[1]) end",
      1, this.k(id), String(Date.now()),
    );
  }

  /**
   * Moves an unfinished dataset to a terminal status; false when it had already finished. In the
   * same step: the items not rendered give their quota reservation back, a succeeded dataset
   * counts as one job in the tenant's usage, and the dataset is scheduled for retention.
   */
  async finish(record: Pick<DatasetRecord, 'id' | 'tenant' | 'spec' | 'keyId'>, status: 'succeeded' | 'failed' | 'canceled', error?: string, now = Date.now()): Promise<boolean> {
    const { id, tenant } = record;
    const day = utcDay(now);
    const usage = { tenant, ttlSec: (this.options.usageRetentionDays ?? 400) * 86_400, field: usageField(record.spec.model, record.keyId ?? 'unknown', 'jobs') };
    const changed = await runScript(
      this.redis, DATASET_SCRIPTS.finish,
      [this.k(id), this.k(id, 'done'), ...(await this.quotaKeysOf(id, tenant)), this.keys.usageDay(tenant, day), this.keys.usageTenants(day), this.retentionKey],
      [status, String(now), error ?? '', String(record.spec.count), JSON.stringify(usage), String(now + (this.options.retentionMs ?? 86_400_000))],
    );
    return Number(changed) === 1;
  }

  /** Claims up to `limit` datasets past their retention (each claimed by one caller only). */
  async claimExpired(now: number, limit = 100): Promise<DatasetRecord[]> {
    const ids = (await runScript(this.redis, DATASET_SCRIPTS.claimExpired, [this.retentionKey], [String(now), String(limit)])) as string[];
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is DatasetRecord => r !== null);
  }

  /** Removes a dataset's record, item records and bitmaps (its files are the caller's). */
  async remove(record: Pick<DatasetRecord, 'id' | 'tenant'>): Promise<void> {
    await this.redis
      .multi()
      .del(this.k(record.id), this.k(record.id, 'items'), this.k(record.id, 'done'), this.k(record.id, 'failed'), this.k(record.id, 'order'))
      .zrem(this.tenantList(record.tenant), record.id)
      .exec();
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values(), ...this.renderQueues.values()].map((q) => q.close()));
  }
}

/** Storage keys of a dataset's files. */
export function datasetFileKey(tenant: string, id: string, file: 'manifest.jsonl' | 'annotations.json' | 'summary.json'): string {
  return `${tenant}/${id}/${file}`;
}

export function datasetImageKey(tenant: string, id: string, index: number): string {
  return `${tenant}/${id}/images/${String(index).padStart(6, '0')}.png`;
}
