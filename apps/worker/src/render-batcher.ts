import type { GenerateResult } from '@flowfarm/pipeline';
import type { Renderer } from './model-thread.js';
import type { ThreadRenderRequest } from './render-thread-protocol.js';

type Progress = (p: { step: number; total: number }) => void;

interface Pending {
  request: ThreadRenderRequest;
  /** requests of one batch share the step loop: same size, steps and image-to-image strength */
  shape: string;
  arrivedAt: number;
  onProgress?: Progress;
  signal?: AbortSignal;
  /** Called when the request's batch starts (the job becomes running); false: leave the batch. */
  begin?: () => Promise<boolean>;
  /** May start in the express slot (see RenderBatcher) when every render slot is busy. */
  express?: boolean;
  resolve(result: GenerateResult): void;
  reject(err: unknown): void;
}

export interface BatcherOptions {
  /** most requests in one generateBatch call (1 = no batching) */
  maxBatch: number;
  /**
   * How long a batch that is not full may wait (from its oldest request) for companions before
   * it starts. 0: no waiting; a batch starts as soon as the model has a free slot.
   */
  windowMs: number;
  /** renders the model runs at the same time (WORKER_CONCURRENCY) */
  slots: number;
  /**
   * After a full batch ends, how long the next batch may wait to fill up again (the worker takes
   * the next batch's jobs from the queue only when the model is free: BATCH_PREFETCH off). 0: no
   * refill wait. The wait ends as soon as the batch is full or the worker finds the queue empty
   * (`queueDrained`); its limit adapts to twice the refill time seen (at most this).
   */
  refillMs?: number;
  /**
   * Whether the worker found the farm's queue empty the last time it looked. Given: every batch
   * end is followed by a refill while the queue has jobs (so batches stay full under load, not
   * one lone job that found the model free and then the rest), and none when it was empty (a lone
   * job on a quiet farm starts at once). Absent: only a full batch is followed by a refill.
   */
  queueEmpty?: () => boolean;
  /**
   * One render beside the slots for an express request (a job that jumped a busy farm's queue:
   * its tenant had nothing queued): it starts at once, alone, beside the batches in render,
   * rather than wait for one of them to end. Default true.
   */
  expressSlot?: boolean;
  /** clock of the window (tests) */
  now?: () => number;
}

/** A request whose job did not begin when its batch started (canceled, expired or taken over meanwhile). */
export class NotBegunError extends Error {
  override readonly name = 'NotBegunError';
  constructor() {
    super('the job did not begin: it ended or another worker holds it');
  }
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new Error('job canceled');
  err.name = 'AbortError';
  return err;
}

/**
 * Runs renders on one model, `slots` at a time, gathering same-shape requests into one
 * `generateBatch` call (up to `maxBatch`). A request that finds a free slot starts at once
 * (a lone job never waits for companions, unless a window is set); requests that arrive while
 * every slot renders queue up, and the oldest one's shape starts next with every queued
 * request of that shape. So batches form exactly when jobs wait: BullMQ hands the worker
 * more jobs than it renders at once (see bullConcurrency in config.ts).
 * Each job keeps its own lock, progress and cancel: a canceled job leaves the queue (or its
 * running batch) at once with AbortError and its images are dropped; a running batch stops
 * only when every member is canceled.
 */
export class RenderBatcher {
  /** requests not started yet, oldest first */
  private readonly queue: Pending[] = [];
  private running = 0;
  /** Whether the express slot renders (at most one express request at a time). */
  private expressRunning = false;
  /** Slots promised to jobs that start at once (`reserve`) and have not reached `render` yet. */
  private reserved = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  /** After a full batch: a batch that is not full waits for companions until then. */
  private refillUntil = 0;
  private refillSince = 0;
  /** Recent time a refill took (batch end → next batch full), for the refill wait's limit. */
  private refillTook = 0;

  constructor(
    private readonly model: Renderer,
    private readonly options: BatcherOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /** the execution provider the model runs on (a metrics label) */
  get provider(): string {
    return this.model.providerInfo.provider;
  }

  /** Requests waiting for a slot (not running yet). */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Renders `request` in the next batch of its shape. `begin` is called when that batch starts,
   * just before the model runs it (the job becomes running then); when it answers false the
   * request leaves the batch with NotBegunError.
   */
  render(
    request: ThreadRenderRequest,
    options: { onProgress?: Progress; signal?: AbortSignal; begin?: () => Promise<boolean>; reserved?: boolean; express?: boolean } = {},
  ): Promise<GenerateResult> {
    if (options.reserved) this.reserved--;
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(abortError(options.signal));
      const shape = `${request.width}x${request.height}x${request.steps}x${request.strength ?? 1}`;
      const member: Pending = { request, shape, arrivedAt: this.now(), ...options, resolve, reject };
      options.signal?.addEventListener('abort', () => this.leaveQueue(member), { once: true });
      this.queue.push(member);
      this.dispatch();
    });
  }

  /**
   * A free slot for a job that starts at once (the worker claims and begins it in one step), when
   * the model is idle: no batch waits, none fills up after a full one, and no window is set. The job's `render` call
   * (with `reserved`) takes the slot, or `unreserve` gives it back. False: claim the job and let
   * it begin when its batch starts.
   */
  reserve(): boolean {
    // with a window a lone job waits for companions: it begins with its batch
    if (this.options.windowMs > 0 || this.running + this.reserved >= this.options.slots || this.queue.length > 0 || this.refillUntil > this.now()) return false;
    this.reserved++;
    return true;
  }

  /** The worker found the farm's queue empty: a refill in progress ends, the next batch starts with what it has. */
  queueDrained(): void {
    if (this.refillUntil === 0) return;
    this.refillUntil = 0;
    this.dispatch();
  }

  unreserve(): void {
    this.reserved--;
    this.dispatch();
  }

  /** A request canceled before its batch started: out of the queue, rejected now. */
  private leaveQueue(member: Pending): void {
    const i = this.queue.indexOf(member);
    if (i < 0) return; // already running: run() handles it
    this.queue.splice(i, 1);
    member.reject(abortError(member.signal!));
  }

  /** Starts batches while a slot is free (synchronously: the model sees them in this call). */
  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running + this.reserved < this.options.slots && this.queue.length > 0) {
      // an express request leads the next batch, which starts without waiting to fill up
      const lead = this.queue.find((m) => m.express) ?? this.queue[0];
      const { shape, arrivedAt } = lead;
      const batch = [lead, ...this.queue.filter((m) => m !== lead && m.shape === shape)].slice(0, this.options.maxBatch);
      const now = this.now();
      const wait = lead.express ? 0 : Math.max(arrivedAt + this.options.windowMs, this.refillUntil) - now;
      if (batch.length < this.options.maxBatch && wait > 0) {
        this.timer = setTimeout(() => this.dispatch(), wait);
        return;
      }
      if (this.refillUntil > 0) {
        // the refill ended: full (learn how long it took) or at its limit
        if (batch.length === this.options.maxBatch) this.refillTook = this.refillTook ? 0.7 * this.refillTook + 0.3 * (now - this.refillSince) : now - this.refillSince;
        this.refillUntil = 0;
      }
      for (const m of batch) this.queue.splice(this.queue.indexOf(m), 1);
      this.running++;
      void this.run(batch).finally(() => {
        this.running--;
        this.refill(batch.length);
        this.dispatch();
      });
    }
    this.dispatchExpress();
  }

  /** Whether an express request would start now (in a free slot, or in the express slot when every slot is busy). */
  get expressIdle(): boolean {
    return this.options.expressSlot !== false && !this.expressRunning;
  }

  /**
   * Every slot busy: the oldest express request renders alone in the express slot. A batch in
   * render and the express render share the model (onnxruntime runs both, step by step), so
   * the express job waits for neither; the batch is slowed by one image's worth meanwhile.
   */
  private dispatchExpress(): void {
    if (!this.expressIdle || this.running + this.reserved < this.options.slots) return;
    const member = this.queue.find((m) => m.express);
    if (!member) return;
    this.queue.splice(this.queue.indexOf(member), 1);
    this.expressRunning = true;
    void this.run([member]).finally(() => {
      this.expressRunning = false;
      this.dispatch();
    });
  }

  /**
   * A batch ended (a full one, or any while the farm's queue has jobs: `queueEmpty`): the worker
   * takes the next jobs from the farm's queue now, so the next batch waits (briefly) for them.
   */
  private refill(size: number): void {
    const limit = this.options.refillMs ?? 0;
    if (limit <= 0) return;
    const { queueEmpty } = this.options;
    if (queueEmpty ? queueEmpty() : size < this.options.maxBatch) return;
    const now = this.now();
    this.refillSince = now;
    this.refillUntil = now + (this.refillTook ? Math.min(limit, Math.max(5, 2 * this.refillTook)) : limit);
  }

  private async run(batch: Pending[]): Promise<void> {
    // Each job begins (becomes running) as its batch starts; one that ended meanwhile leaves it.
    // Without begin hooks the batch reaches the model synchronously, in this call.
    let members = batch;
    if (batch.some((m) => m.begin)) {
      const began = await Promise.all(
        batch.map((m) =>
          !m.begin
            ? true
            : m.begin().then(
                (ok) => (ok ? true : (m.reject(new NotBegunError()), false)),
                (err: unknown) => (m.reject(err), false),
              ),
        ),
      );
      members = batch.filter((m, i) => {
        if (!began[i]) return false;
        if (m.signal?.aborted) m.reject(abortError(m.signal)); // canceled while it began
        return !m.signal?.aborted;
      });
      if (members.length === 0) return;
    }
    const live = new Set(members);
    const all = new AbortController();
    for (const m of members) {
      m.signal?.addEventListener(
        'abort',
        () => {
          if (!live.delete(m)) return;
          m.reject(abortError(m.signal!));
          if (live.size === 0) all.abort(abortError(m.signal!));
        },
        { once: true },
      );
    }
    try {
      const results = await this.model.generateBatch(
        members.map((m) => m.request),
        {
          signal: all.signal,
          onProgress: (p) => {
            for (const m of members) if (live.has(m)) m.onProgress?.(p);
          },
        },
      );
      // each member learns the batch size, so its share of the batch's time can be metered
      members.forEach((m, i) => live.has(m) && m.resolve({ ...results[i], batchSize: members.length } as GenerateResult));
    } catch (err) {
      for (const m of members) if (live.has(m)) m.reject(err);
    }
  }
}
