import { Worker } from 'node:worker_threads';
import type { GenerateOptions, GenerateResult, ModelManifest, ProviderInfo, SessionOptions } from '@flowfarm/pipeline';
import type { ThreadRenderRequest, ThreadReply, ThreadRequest } from './render-thread-protocol.js';

const fromSource = import.meta.url.endsWith('.ts');

/**
 * The render thread: compiled JavaScript normally. When this process runs the TypeScript
 * sources (tests, development), the thread registers tsx's hooks first (hooks registered on
 * the main thread do not reach worker threads on Node 20) and resolves the workspace packages
 * to their sources through the "development" condition, as its parent does.
 */
function startRenderThread(workerData: { dir: string; options: SessionOptions }): Worker {
  if (!fromSource) return new Worker(new URL('./render-thread.js', import.meta.url), { workerData });
  const bootstrap = `(async () => {
      const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
      register();
      await import(${JSON.stringify(new URL('./render-thread.ts', import.meta.url).href)});
    })().catch((err) => { console.error(err); process.exit(1); });`;
  const execArgv = process.execArgv.includes('--conditions=development') ? process.execArgv : [...process.execArgv, '--conditions=development'];
  return new Worker(bootstrap, { eval: true, workerData, execArgv });
}

/** What the batcher and the processor need from a model, wherever it runs. */
export interface Renderer {
  readonly name: string;
  readonly manifest: ModelManifest;
  /** where the model runs (execution provider, latent placement) */
  readonly providerInfo: ProviderInfo;
  generate(request: ThreadRenderRequest, options?: GenerateOptions): Promise<GenerateResult>;
  generateBatch(requests: ThreadRenderRequest[], options?: GenerateOptions): Promise<GenerateResult[]>;
}

interface Pending {
  resolve(results: GenerateResult[]): void;
  reject(err: Error): void;
  onProgress?: GenerateOptions['onProgress'];
}

/** An error named like the pipeline's (AbortError, PipelineInputError, …) so callers can tell them apart. */
function namedError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/**
 * A model loaded in its own worker thread (see render-thread.ts for why). Renders are sent as
 * messages; progress comes back per step; images come back as transferred buffers. If the
 * thread dies, its renders fail with a transient error and the next render starts a new thread.
 */
export class ModelThread implements Renderer {
  private worker!: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  name = '';
  manifest!: ModelManifest;
  providerInfo!: ProviderInfo;
  loadMs = 0;

  private constructor(
    readonly dir: string,
    private readonly options: SessionOptions,
  ) {}

  static async start(dir: string, options: SessionOptions): Promise<ModelThread> {
    const thread = new ModelThread(dir, options);
    await thread.spawn();
    return thread;
  }

  private spawn(): Promise<void> {
    this.worker = startRenderThread({ dir: this.dir, options: this.options });
    return new Promise((resolve, reject) => {
      this.worker.on('message', (message: ThreadReply) => {
        if (message.type === 'ready') {
          Object.assign(this, { name: message.name, manifest: message.manifest, loadMs: message.loadMs, providerInfo: message.providerInfo });
          resolve();
        } else if (message.type === 'load-error') reject(new Error(message.message));
        else if (message.type === 'progress') this.pending.get(message.id)?.onProgress?.({ step: message.step, total: message.total });
        else if (message.type === 'result') this.settle(message.id, (p) => p.resolve(message.results));
        else if (message.type === 'error') this.settle(message.id, (p) => p.reject(namedError(message.name, message.message)));
      });
      this.worker.on('error', (err) => reject(err));
      this.worker.on('exit', (code) => {
        reject(new Error(`render thread exited with code ${code} while loading ${this.dir}`));
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.reject(namedError('RenderThreadError', `render thread exited with code ${code}`));
        }
        this.dead = true;
      });
    });
  }

  private dead = false;

  private settle(id: number, fn: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    fn(p);
  }

  async generate(request: ThreadRenderRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
    const [result] = await this.generateBatch([request], options);
    return result;
  }

  async generateBatch(requests: ThreadRenderRequest[], options: GenerateOptions = {}): Promise<GenerateResult[]> {
    if (this.dead) {
      this.dead = false;
      await this.spawn();
    }
    const id = this.nextId++;
    const send = (message: ThreadRequest) => this.worker.postMessage(message);
    return new Promise<GenerateResult[]>((resolve, reject) => {
      const onAbort = () => send({ type: 'abort', id });
      const done = () => options.signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (r) => (done(), resolve(r)),
        reject: (e) => (done(), reject(e)),
        onProgress: options.onProgress,
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      send({ type: 'render', id, requests });
      if (options.signal?.aborted) onAbort();
    });
  }

  async close(): Promise<void> {
    this.dead = false;
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
