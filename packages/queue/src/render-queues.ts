import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AspectRatio, Layout, OutputFormat } from '@flowfarm/contracts';
import type { FarmKeys } from './keys.js';
import { renderQueueName } from './keys.js';

/** What a render job carries through BullMQ (small: the full record lives in the job hash). */
export interface RenderJobData {
  jobId: string;
  tenant: string;
  model: string;
  /** Pipeline request, defaults already filled in by the API. */
  request: {
    prompt: string; width: number; height: number; steps: number; guidance?: number; seed: number; numImages: number;
    outputFormat?: OutputFormat; outputQuality?: number; layout?: Layout;
    aspectRatio?: AspectRatio; ultra?: boolean; palette?: string[];
    /** recorded in the file's metadata (the API already applied the preset to prompt and defaults) */
    style?: string; raw?: boolean;
    /** image-to-image: (0, 1] and the stored starting image (the worker reads, resizes and encodes it) */
    strength?: number; image?: { key: string; sha256: string };
  };
  /** Format of the stored files (jobs queued before formats existed say png). */
  outputFormat: OutputFormat;
  /** Epoch ms of the submit, for queue-wait and end-to-end timings. */
  submittedAt: number;
}

export interface RenderJobPolicy {
  /** Runs of a job before it fails for good (transient errors only). */
  attempts: number;
  /** First retry delay; doubles per attempt. */
  backoffMs: number;
  /** BullMQ's own job entries are removed this long after they finish. */
  retentionMs: number;
}

export function renderJobOptions(policy: RenderJobPolicy): JobsOptions {
  const age = Math.max(1, Math.ceil(policy.retentionMs / 1000));
  return {
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs },
    removeOnComplete: { age },
    removeOnFail: { age },
  };
}

/** One BullMQ queue per model, created on first use; typed enqueue and queue position. */
export class RenderQueues {
  private readonly queues = new Map<string, Queue<RenderJobData>>();

  constructor(
    private readonly connection: Redis,
    private readonly keys: FarmKeys,
    private readonly policy: RenderJobPolicy,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  queue(model: string): Queue<RenderJobData> {
    let queue = this.queues.get(model);
    if (!queue) {
      queue = new Queue<RenderJobData>(renderQueueName(model), {
        connection: this.connection as unknown as ConnectionOptions,
        prefix: this.keys.bullPrefix,
        defaultJobOptions: renderJobOptions(this.policy),
      });
      queue.on('error', this.onError);
      this.queues.set(model, queue);
    }
    return queue;
  }

  /**
   * Adds a render job; the BullMQ job id is the API's job id. `priority` (1 … 2^21-1, lower runs
   * first) comes from the fair scheduler (fair-share.ts); ties run in submit order.
   */
  async enqueue(data: RenderJobData, priority?: number): Promise<void> {
    await this.queue(data.model).add('render', data, { jobId: data.jobId, ...(priority ? { priority } : {}) });
  }

  /** Removes a job that has not started yet; false when a worker holds it. */
  async removeWaiting(model: string, jobId: string): Promise<boolean> {
    const job = await this.queue(model).getJob(jobId);
    if (!job) return true;
    try {
      await job.remove();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Jobs ahead of this one in its model's queue (0 = next), or null when not waiting. Render jobs
   * carry a fair-share priority, so they sit in BullMQ's `prioritized` sorted set in the order
   * workers take them: the position is its rank there, after any job without a priority (those
   * run first). Jobs queued without a priority are found in the wait list (bounded LPOS scan).
   */
  async queuePosition(model: string, jobId: string, maxScan = 1000): Promise<number | null> {
    const queueKey = `${this.keys.bullPrefix}:${renderQueueName(model)}`;
    const [[, rank], [, waiting]] = (await this.connection.multi().zrank(`${queueKey}:prioritized`, jobId).llen(`${queueKey}:wait`).exec()) as [[Error | null, number | null], [Error | null, number]];
    if (rank !== null) return waiting + rank;
    const waitKey = `${queueKey}:wait`;
    // BullMQ pushes new jobs on the left and workers take from the right: scan from the right
    // for jobs about to run, from the left for jobs just submitted.
    const [[, fromRight], [, fromLeft], [, length]] = (await this.connection
      .multi()
      .lpos(waitKey, jobId, 'RANK', -1, 'MAXLEN', maxScan)
      .lpos(waitKey, jobId, 'MAXLEN', maxScan)
      .llen(waitKey)
      .exec()) as [[Error | null, number | null], [Error | null, number | null], [Error | null, number]];
    const index = fromRight ?? fromLeft;
    return index === null ? null : length - 1 - index;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
