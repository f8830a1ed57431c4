import type { Redis } from 'ioredis';
import type { FarmKeys } from './keys.js';
import { recordFromHash, type JobRecord } from './job-record.js';
import { TERMINAL_NOTICE } from './lifecycle/scripts.js';

/**
 * `terminal`: the notice announces the job's end (a listener waiting only for that skips the
 * rest); `record`: the job as it ended, when the notice carried it.
 */
export interface JobNotice {
  terminal: boolean;
  record?: JobRecord;
}
type Listener = (notice: JobNotice) => void;

/**
 * Fans the notices of jobs this process's clients wait on (SSE streams, `Prefer: wait`) out to
 * their listeners. Each job has its own pub/sub channel, subscribed while at least one listener
 * waits on it, so an API process receives only what its clients wait for. A notice only says
 * "read again": readers fetch events from the job's stream (or the record), which keeps resume
 * gap-free even when a notice is lost. A notice also says whether it ends the job, and then
 * carries the job as it ended.
 */
export class JobEventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Channel → job id, for the channels subscribed now. */
  private readonly channels = new Map<string, string>();

  constructor(
    private readonly subscriber: Redis,
    private readonly keys: FarmKeys,
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      const jobId = this.channels.get(channel);
      if (jobId === undefined) return;
      const listeners = this.listeners.get(jobId);
      if (!listeners?.size) return;
      const notice = parseNotice(message);
      for (const listener of listeners) listener(notice);
    });
  }

  /**
   * Calls `listener` on every notice for `jobId`; resolves, once the subscription is in place,
   * with the unsubscribe function. Read the job after this resolves, so no change is missed.
   */
  async on(jobId: string, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(jobId);
    const channel = this.keys.jobChannel(jobId);
    if (!set) {
      set = new Set();
      this.listeners.set(jobId, set);
      this.channels.set(channel, jobId);
    }
    set.add(listener);
    await this.subscriber.subscribe(channel);
    return () => {
      set.delete(listener);
      if (set.size > 0 || this.listeners.get(jobId) !== set) return;
      this.listeners.delete(jobId);
      this.channels.delete(channel);
      void this.subscriber.unsubscribe(channel).catch(() => {});
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.channels.clear();
    this.subscriber.disconnect();
  }
}

/** `<event id>` or `<event id> end <the record as a flat JSON array>` (lifecycle/scripts.ts). */
function parseNotice(message: string): JobNotice {
  const marker = ` ${TERMINAL_NOTICE} `;
  const at = message.indexOf(marker);
  if (at < 0) return { terminal: false };
  const record = recordFromHash(JSON.parse(message.slice(at + marker.length)) as string[]);
  return record ? { terminal: true, record } : { terminal: true };
}
