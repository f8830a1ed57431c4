import { Job, Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { OutputFormat } from '@flowfarm/contracts';
import type { FarmKeys } from './keys.js';
import { renderQueueName } from './keys.js';
import type { RenderRequest } from './job-record.js';
import { runScript } from './lua.js';
import { OLDEST_WAITING, QUEUE_POSITION } from './lifecycle/scripts.js';
import { dispatchTokenId } from './lifecycle/stages.js';

/**
 * What a render job carries through BullMQ: only the id. BullMQ is dispatch only; the job's one
 * record (request included) is the farm's hash, which the worker's start script returns.
 */
export interface RenderToken {
  jobId: string;
  /** Prompt chaining: the stage this token was dispatched for (absent: the job's first run). */
  stage?: number;
}

/** What the worker renders: the record's request with the job's identity (built from the record). */
export interface RenderJobData {
  jobId: string;
  tenant: string;
  model: string;
  request: RenderRequest;
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
}

/**
 * BullMQ's entry goes as soon as the job ends: the farm's record keeps its history, and retention
 * runs once, in the farm's sweeper.
 */
export function renderJobOptions(policy: RenderJobPolicy): JobsOptions {
  return {
    attempts: policy.attempts,
    backoff: { type: 'exponential', delay: policy.backoffMs },
    removeOnComplete: true,
    removeOnFail: true,
  };
}

/** The BullMQ job name of every render token. */
export const RENDER_TOKEN_NAME = 'render';

/** Entries BullMQ keeps in a render queue's event stream. */
export const BULLMQ_EVENTS_KEPT = 1000;

/** One BullMQ queue per model, created on first use: dispatch tokens and queue positions. */
export class RenderQueues {
  private readonly queues = new Map<string, Queue<RenderToken>>();
  private tokenOpts?: string;

  constructor(
    private readonly connection: Redis,
    private readonly keys: FarmKeys,
    private readonly policy: RenderJobPolicy,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  queue(model: string): Queue<RenderToken> {
    let queue = this.queues.get(model);
    if (!queue) {
      queue = new Queue<RenderToken>(renderQueueName(model), {
        connection: this.connection as unknown as ConnectionOptions,
        prefix: this.keys.bullPrefix,
        defaultJobOptions: renderJobOptions(this.policy),
        // BullMQ's own event stream: the farm reads none of it (jobs have their own event streams),
        // so it keeps only the last entries for tools that look (10,000 by default: ~1.5 MB per queue)
        streams: { events: { maxLen: BULLMQ_EVENTS_KEPT } },
      });
      queue.on('error', this.onError);
      this.queues.set(model, queue);
    }
    return queue;
  }

  /**
   * What the submit script needs to write a job's first token itself, as queue.add would
   * (scripts.ts WRITE_TOKEN): its name, data, the options BullMQ stores for it (without jobId and
   * priority, which the script sets) and the event stream's length.
   */
  tokenFields(jobId: string): { name: string; data: string; opts: string; maxEvents: number } {
    this.tokenOpts ??= JSON.stringify(Job.optsAsJSON(renderJobOptions(this.policy)));
    return { name: RENDER_TOKEN_NAME, data: JSON.stringify({ jobId } satisfies RenderToken), opts: this.tokenOpts, maxEvents: BULLMQ_EVENTS_KEPT };
  }

  /**
   * Adds the job's dispatch token with its priority (lower runs first). The BullMQ job id is the
   * farm's job id (a chain's later stages: `<id>-s<k>`, stages.ts), so adding a token that exists
   * already is a no-op.
   */
  async dispatch(model: string, jobId: string, priority: number, stage?: number | null): Promise<void> {
    await this.queue(model).add(RENDER_TOKEN_NAME, stage ? { jobId, stage } : { jobId }, { jobId: dispatchTokenId(jobId, stage), priority });
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
   * Jobs ahead of this one in its model's queue (0 = next), or null when it is not waiting there
   * (delayed for a retry, or running). O(log n): every token has a priority, so waiting tokens
   * sit in BullMQ's prioritized sorted set.
   */
  async queuePosition(model: string, jobId: string): Promise<number | null> {
    return (await this.queuePositions(model, [jobId]))[0];
  }

  /** queuePosition of many jobs of one model in one call (a list page). */
  async queuePositions(model: string, jobIds: string[]): Promise<Array<number | null>> {
    if (jobIds.length === 0) return [];
    const base = `${this.keys.bullPrefix}:${renderQueueName(model)}`;
    const positions = (await runScript(this.connection, QUEUE_POSITION, [`${base}:prioritized`, `${base}:wait`], jobIds)) as number[];
    return positions.map((p) => (Number(p) < 0 ? null : Number(p)));
  }

  /**
   * What the ops views and the queue gauges show of a model's queue beyond BullMQ's counts: the
   * submit time of the job that has waited longest (not the next in line: under fair share a
   * flooding tenant's oldest job may wait behind other tenants' newer ones), and the failed jobs
   * still kept (failed within `retentionMs`).
   */
  async stats(model: string, retentionMs: number, now = Date.now()): Promise<{ oldestWaitingAt: number | null; failed: number }> {
    const base = `${this.keys.bullPrefix}:${renderQueueName(model)}`;
    const [oldest, failed] = await Promise.all([
      runScript(this.connection, OLDEST_WAITING, [this.keys.waiting(model), `${base}:wait`], [this.keys.job(''), `${base}:`]),
      this.connection.zcount(this.keys.failed(model), now - retentionMs, '+inf'),
    ]);
    return { oldestWaitingAt: oldest === null ? null : Number(oldest), failed };
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
