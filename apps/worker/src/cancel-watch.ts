import type { Redis } from 'ioredis';

/**
 * Aborts the AbortController of a running job when the API publishes a cancel for it. The
 * pipeline checks the signal between steps, so a canceled job stops at the next step. The
 * cancel flag in the job record is also checked with every progress report, which covers a
 * pub/sub message lost during a reconnect.
 */
export class CancelWatch {
  private readonly running = new Map<string, AbortController>();
  private ready: Promise<unknown> | null = null;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {
    subscriber.on('message', (ch: string, jobId: string) => {
      if (ch === this.channel) this.abort(jobId);
    });
  }

  start(): Promise<unknown> {
    this.ready ??= this.subscriber.subscribe(this.channel);
    return this.ready;
  }

  /** A controller for a job that is about to run; call `release` when it ends. */
  register(jobId: string): AbortController {
    const controller = new AbortController();
    this.running.set(jobId, controller);
    return controller;
  }

  release(jobId: string): void {
    this.running.delete(jobId);
  }

  abort(jobId: string): void {
    const controller = this.running.get(jobId);
    if (controller && !controller.signal.aborted) {
      const reason = new Error('job canceled');
      reason.name = 'AbortError';
      controller.abort(reason);
    }
  }

  close(): void {
    this.subscriber.disconnect();
  }
}
