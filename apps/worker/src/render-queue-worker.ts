import { Worker, type Job, type Processor, type RedisClient, type WorkerOptions } from 'bullmq';

/**
 * A model's render-queue worker whose jobs give their place in BullMQ's concurrency back when
 * their render ends, not when their bookkeeping (watermark and signature, upload, the finish
 * script) ends: the next batch's jobs are taken while the previous batch's outputs are stored,
 * so the model does not idle for them and another tenant's new job waits for one render, not a
 * render plus its bookkeeping.
 *
 * A released job stays BullMQ-active under this worker's lock (renewed as before) until its
 * processor returns: a worker that dies mid-bookkeeping loses no job (takeover re-runs it), and a
 * failed upload fails the attempt, which BullMQ retries as before. At most `maxReleased` jobs are
 * in bookkeeping at once (one batch's worth per render slot): a job whose render ends beyond that
 * keeps its place until an earlier one finishes, so the jobs held stay bounded at twice the
 * concurrency. close() (drain) waits for every job, released or not.
 *
 * Relies on two BullMQ internals: `processJob` (overridden) and the private
 * `whenCurrentJobsFinished` (wrapped at run time in the constructor). Re-check both, and run
 * render-queue-worker.test.ts, when upgrading BullMQ.
 */
export class RenderQueueWorker<T = unknown, R = unknown> extends Worker<T, R> {
  /** Released jobs still being processed (their bookkeeping). */
  private released = 0;
  /** Jobs whose render ended while `maxReleased` were in bookkeeping: released as those end. */
  private readonly deferred: Array<() => void> = [];
  /** Releases by job token, for `rendered`. */
  private readonly releases = new Map<string, () => void>();
  /** Every job being processed, released or not: close waits for all of them. */
  private readonly processing = new Set<Promise<unknown>>();
  /** The most jobs in bookkeeping at once (0: jobs keep their place until their processor returns). */
  readonly maxReleased: number;
  /**
   * Whether the last look at the queue found no job to take (the worker now waits for new ones):
   * the batcher then starts the next batch without waiting for it to fill up.
   */
  queueEmpty = false;
  /** Called each time a look at the queue finds no job. */
  onQueueEmpty?: () => void;

  constructor(name: string, processor: Processor<T, R, string>, opts: WorkerOptions & { maxReleased: number }) {
    const { maxReleased, ...bullOpts } = opts;
    super(name, processor, bullOpts);
    this.maxReleased = maxReleased;
    // close() (and pause()) wait here for the jobs in hand before the lock renewal and the
    // connections stop; the main loop has ended by then, but released jobs may still be storing
    // their outputs. (Private in BullMQ's typings, a plain method at run time.)
    const self = this as unknown as { whenCurrentJobsFinished(reconnect?: boolean): Promise<void> };
    const mainLoopDone = self.whenCurrentJobsFinished.bind(this);
    self.whenCurrentJobsFinished = async (reconnect?: boolean) => {
      await mainLoopDone(reconnect);
      while (this.processing.size > 0) await Promise.allSettled([...this.processing]);
    };
  }

  /**
   * The job (by its token) finished rendering: its place in the concurrency goes to the next job
   * now, or when a job in bookkeeping finishes (bounded). No-op for a job released already.
   */
  rendered(token: string | undefined): void {
    const release = token === undefined ? undefined : this.releases.get(token);
    if (!release) return;
    this.releases.delete(token!);
    if (this.released < this.maxReleased) release();
    else this.deferred.push(release);
  }

  /**
   * Gives one job's place back before its render ends, so BullMQ's loop takes one more job now:
   * a job that jumped a busy queue (fair-jump) is fetched at once and renders in the express slot
   * instead of waiting for a render to end. The place's job keeps rendering under its lock. False
   * when no job holds a place that could be given (nothing in render, or all given already).
   */
  makeRoom(): boolean {
    const [token, release] = this.releases.entries().next().value ?? [];
    if (!token || !release) return false;
    this.releases.delete(token);
    release();
    return true;
  }

  /** Jobs past their render still being processed (a gauge for tests and logs). */
  get inBookkeeping(): number {
    return this.released;
  }

  protected override async moveToActive(client: RedisClient, token: string, name?: string): Promise<Job<T, R, string>> {
    const job = await super.moveToActive(client, token, name);
    this.queueEmpty = !job;
    if (!job) this.onQueueEmpty?.();
    return job;
  }

  override processJob(job: Job<T, R, string>, token: string, fetchNextCallback: () => boolean = () => true): Promise<void | Job<T, R, string>> {
    if (this.maxReleased <= 0) return super.processJob(job, token, fetchNextCallback);
    let early = false;
    // the job's end is being recorded (with the next job fetched in the same step): too late to release
    let sealed = false;
    let releaseNow!: () => void;
    const releasedAt = new Promise<void>((resolve) => (releaseNow = resolve));
    const release = () => {
      if (early || sealed) return;
      early = true;
      this.released++;
      releaseNow();
    };
    const undefer = () => {
      const i = this.deferred.indexOf(release);
      if (i >= 0) this.deferred.splice(i, 1);
    };
    this.releases.set(token, release);
    // A released job's end must not fetch the next job: the main loop already took the place back
    // and would never see a job handed over here (it would sit active, unprocessed). And a job
    // whose end fetches the next one is not released after that (a deferred release arriving
    // late would drop the fetched job the same way).
    const fetchNext = () => {
      if (early) return false;
      const fetch = fetchNextCallback();
      if (fetch) {
        sealed = true;
        undefer();
      }
      return fetch;
    };
    const whole = super.processJob(job, token, fetchNext).finally(() => {
      this.releases.delete(token);
      if (early) {
        this.released--;
        // a job in bookkeeping ended: the oldest deferred one takes its place
        this.deferred.shift()?.();
      } else {
        // ended before its render ended (or without one), or deferred to its end: never released
        undefer();
      }
    });
    this.processing.add(whole);
    void whole.finally(() => this.processing.delete(whole)).catch(() => {});
    // the main loop's place: until the render ends (released) or the job ends, whichever first
    return Promise.race([whole, releasedAt.then(() => undefined)]);
  }
}
