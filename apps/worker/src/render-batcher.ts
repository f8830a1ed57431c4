import type { GenerateResult } from '@flowfarm/pipeline';
import type { Renderer } from './model-thread.js';
import type { ThreadRenderRequest } from './render-thread-protocol.js';

type Progress = (p: { step: number; total: number }) => void;

interface Pending {
  request: ThreadRenderRequest;
  onProgress?: Progress;
  signal?: AbortSignal;
  resolve(result: GenerateResult): void;
  reject(err: unknown): void;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new Error('job canceled');
  err.name = 'AbortError';
  return err;
}

/**
 * Runs renders, gathering same-shape requests that arrive within `windowMs` into one
 * `generateBatch` call (up to `maxBatch`). BullMQ hands the worker several jobs at once when
 * several are waiting (concurrency ≥ maxBatch), so jobs that waited together run together.
 * Each job keeps its own lock, progress and cancel: a canceled member rejects at once with
 * AbortError and its images are dropped; the batch itself stops only when every member is
 * canceled.
 */
export class RenderBatcher {
  private readonly groups = new Map<string, { members: Pending[]; timer: NodeJS.Timeout }>();

  constructor(
    private readonly model: Renderer,
    private readonly maxBatch: number,
    private readonly windowMs: number,
  ) {}

  /** the execution provider the model runs on (a metrics label) */
  get provider(): string {
    return this.model.providerInfo.provider;
  }

  render(request: ThreadRenderRequest, options: { onProgress?: Progress; signal?: AbortSignal } = {}): Promise<GenerateResult> {
    if (this.maxBatch <= 1) return this.model.generate(request, options);
    return new Promise((resolve, reject) => {
      const member: Pending = { request, ...options, resolve, reject };
      // requests of one batch share the step loop, so image-to-image strengths batch only with their own
      const shape = `${request.width}x${request.height}x${request.steps}x${request.strength ?? 1}`;
      const group = this.groups.get(shape);
      if (group) {
        group.members.push(member);
        if (group.members.length >= this.maxBatch) this.flush(shape);
        return;
      }
      this.groups.set(shape, { members: [member], timer: setTimeout(() => this.flush(shape), this.windowMs) });
    });
  }

  private flush(shape: string): void {
    const group = this.groups.get(shape);
    if (!group) return;
    clearTimeout(group.timer);
    this.groups.delete(shape);
    void this.run(group.members);
  }

  private async run(members: Pending[]): Promise<void> {
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
      if (m.signal?.aborted) {
        live.delete(m);
        m.reject(abortError(m.signal));
      }
    }
    if (live.size === 0) return;
    const batch = [...live];
    try {
      const results = await this.model.generateBatch(
        batch.map((m) => m.request),
        {
          signal: all.signal,
          onProgress: (p) => {
            for (const m of batch) if (live.has(m)) m.onProgress?.(p);
          },
        },
      );
      // each member learns the batch size, so its share of the batch's time can be metered
      batch.forEach((m, i) => live.has(m) && m.resolve({ ...results[i], batchSize: batch.length } as GenerateResult));
    } catch (err) {
      for (const m of batch) if (live.has(m)) m.reject(err);
    }
  }
}
