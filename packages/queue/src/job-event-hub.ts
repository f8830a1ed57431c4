import type { Redis } from 'ioredis';

type Listener = () => void;

/**
 * Fans the farm's job-event notices (one pub/sub channel, the job id as message) out to the
 * listeners of this process, so any number of SSE streams and `Prefer: wait` requests share
 * one Redis subscription. A notice only says "read the stream again": readers fetch events
 * from the job's Redis stream, which is what makes resume gap-free.
 */
export class JobEventHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private ready: Promise<unknown> | null = null;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {
    subscriber.on('message', (ch: string, jobId: string) => {
      if (ch !== this.channel) return;
      for (const listener of this.listeners.get(jobId) ?? []) listener();
    });
  }

  /** Subscribes to the channel (idempotent); await it before relying on notices. */
  start(): Promise<unknown> {
    this.ready ??= this.subscriber.subscribe(this.channel);
    return this.ready;
  }

  /** Calls `listener` on every notice for `jobId`; returns the unsubscribe function. */
  on(jobId: string, listener: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) {
      set = new Set();
      this.listeners.set(jobId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscriber.disconnect();
  }
}
