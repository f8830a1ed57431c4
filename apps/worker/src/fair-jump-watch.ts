import type { Redis } from 'ioredis';

/** How long an announced job stays marked express without being fetched (it went to another worker). */
const ANNOUNCED_FOR_MS = 60_000;

/**
 * Listens for jobs that jumped a busy farm's queue (the submit script found the tenant's job
 * first in line ahead of waiting jobs: every worker is busy and the tenant had nothing queued;
 * `fairJumpChannel`). For each, `onJump(model)` may make room so this worker fetches the job at
 * once, and the job is marked express: when it reaches this worker's batcher it renders in the
 * express slot, not after the batch in render. Every worker hears it; the first to fetch the job
 * renders it, the others take the next job early (it waits for its batch as usual).
 */
export class FairJumpWatch {
  private readonly announced = new Map<string, number>();

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly onJump: (model: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    subscriber.on('message', (ch: string, message: string) => {
      if (ch !== this.channel) return;
      const [model, jobId] = message.split(' ');
      if (!model || !jobId) return;
      this.prune();
      this.announced.set(jobId, this.now());
      this.onJump(model);
    });
  }

  start(): Promise<unknown> {
    return this.subscriber.subscribe(this.channel);
  }

  /** Whether the job jumped the queue (once: the mark is used up). */
  take(jobId: string): boolean {
    return this.announced.delete(jobId);
  }

  private prune(): void {
    const old = this.now() - ANNOUNCED_FOR_MS;
    for (const [id, at] of this.announced) {
      if (at >= old) break; // insertion order is time order
      this.announced.delete(id);
    }
  }
}
