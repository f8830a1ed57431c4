import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DatasetSpec, DatasetStatus } from '@flowfarm/contracts';
import type { FarmKeys } from './keys.js';

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
}

/** BullMQ job of the dataset queue: render one chunk of items, or assemble the finished set. */
export type DatasetJobData = { kind: 'chunk'; datasetId: string; chunk: number } | { kind: 'finalize'; datasetId: string };

export function datasetQueueName(model: string): string {
  return `dataset.${model}`;
}

const chunkJobId = (id: string, chunk: number) => `${id}-c${chunk}`;

/**
 * Datasets in Redis: one hash per dataset, a bitmap of finished items (and one of failed items),
 * and a hash of per-item manifest records keyed by item index, so a re-run item overwrites its
 * own record and the manifest can never hold an item twice. Chunks are BullMQ jobs with
 * deterministic ids (adding one twice is a no-op); each finished chunk queues the chunk
 * DATASET_WINDOW ahead, so a 100,000-item dataset never has more than a window of jobs.
 */
export class DatasetStore {
  private readonly queues = new Map<string, Queue<DatasetJobData>>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
  ) {}

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
        defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: 1000 },
      });
      this.queues.set(model, q);
    }
    return q;
  }

  chunks(record: Pick<DatasetRecord, 'spec'>): number {
    return Math.ceil(record.spec.count / DATASET_CHUNK);
  }

  /** Stores the record and queues the first window of chunks. */
  async create(record: DatasetRecord): Promise<void> {
    await this.redis
      .multi()
      .hset(this.k(record.id), {
        id: record.id, tenant: record.tenant, spec: JSON.stringify(record.spec), status: record.status,
        created_at: String(record.createdAt), started_at: '', finished_at: '', error: '',
      })
      .zadd(this.tenantList(record.tenant), record.createdAt, record.id)
      .exec();
    const first = Array.from({ length: Math.min(DATASET_WINDOW, this.chunks(record)) }, (_, chunk) => chunk);
    await this.queue(record.spec.model).addBulk(first.map((chunk) => ({ name: 'chunk', data: { kind: 'chunk', datasetId: record.id, chunk }, opts: { jobId: chunkJobId(record.id, chunk) } })));
  }

  async get(id: string): Promise<DatasetRecord | null> {
    const h = await this.redis.hgetall(this.k(id));
    if (!h.id) return null;
    const num = (v: string) => (v ? Number(v) : null);
    return {
      id: h.id, tenant: h.tenant, spec: JSON.parse(h.spec) as FilledDatasetSpec, status: h.status as DatasetStatus,
      createdAt: Number(h.created_at), startedAt: num(h.started_at), finishedAt: num(h.finished_at), error: h.error || null,
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

  /** Records one item's manifest line (or its failure); idempotent per index. */
  async recordItem(id: string, index: number, line: Record<string, unknown>, failed: boolean): Promise<void> {
    const m = this.redis.multi().hset(this.k(id, 'items'), String(index), JSON.stringify(line));
    if (failed) m.setbit(this.k(id, 'failed'), index, 1);
    await m.setbit(this.k(id, 'done'), index, 1).exec();
  }

  /** Item records in index order, `batch` at a time (never the whole set in memory at once). */
  async *itemRecords(id: string, count: number, batch = 500): AsyncGenerator<Record<string, unknown>> {
    for (let start = 0; start < count; start += batch) {
      const fields = Array.from({ length: Math.min(batch, count - start) }, (_, i) => String(start + i));
      const values = await this.redis.hmget(this.k(id, 'items'), ...fields);
      for (const v of values) if (v) yield JSON.parse(v) as Record<string, unknown>;
    }
  }

  /** Queues the chunk DATASET_WINDOW after `chunk`, and the finalize job once every item is done. */
  async advance(record: DatasetRecord, chunk: number): Promise<void> {
    const next = chunk + DATASET_WINDOW;
    const q = this.queue(record.spec.model);
    if (next < this.chunks(record)) await q.add('chunk', { kind: 'chunk', datasetId: record.id, chunk: next }, { jobId: chunkJobId(record.id, next) });
    const done = await this.redis.bitcount(this.k(record.id, 'done'));
    if (done >= record.spec.count) await q.add('finalize', { kind: 'finalize', datasetId: record.id }, { jobId: `${record.id}-final` });
  }

  /** queued → running (first chunk). */
  async markRunning(id: string): Promise<void> {
    await this.redis.eval(
      "if redis.call('hget', KEYS[1], 'status') == 'queued' then redis.call('hset', KEYS[1], 'status', 'running', 'started_at', ARGV[1]) end",
      1, this.k(id), String(Date.now()),
    );
  }

  /** Moves an unfinished dataset to a terminal status; false when it had already finished. */
  async finish(id: string, status: 'succeeded' | 'failed' | 'canceled', error?: string): Promise<boolean> {
    const changed = await this.redis.eval(
      "local s = redis.call('hget', KEYS[1], 'status') if s == 'queued' or s == 'running' then redis.call('hset', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[2], 'error', ARGV[3]) return 1 end return 0",
      1, this.k(id), status, String(Date.now()), error ?? '',
    );
    return changed === 1;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }
}

/** Storage keys of a dataset's files. */
export function datasetFileKey(tenant: string, id: string, file: 'manifest.jsonl' | 'annotations.json' | 'summary.json'): string {
  return `${tenant}/${id}/${file}`;
}

export function datasetImageKey(tenant: string, id: string, index: number): string {
  return `${tenant}/${id}/images/${String(index).padStart(6, '0')}.png`;
}
