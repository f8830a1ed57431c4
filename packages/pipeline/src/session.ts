import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelLoadError } from './errors.js';
import { fromHalfArray, toHalfArray } from './float16.js';
import { ortProviders, parseProviderList, type ProviderSpec } from './execution-providers.js';
import { cacheable, createCachedSession } from './graph-cache.js';
import { readOnnxSignature } from './onnx-signature.js';
import { ALLOWED_DTYPES, expectedDtype, type SubModelSpec, type TensorSpec } from './tensor-specs.js';

export interface SessionOptions {
  /**
   * In order of preference, default ['cpu']; each entry `name[:deviceId][;option…]` (see
   * execution-providers.ts), e.g. ['tensorrt:0;fp16;cache=/cache/trt', 'cuda:0', 'cpu'].
   * The model loads on the first one that starts.
   */
  executionProviders?: string[];
  /**
   * Threads one operator may use (onnxruntime's intra-op pool, per session). Default:
   * onnxruntime's own (one per physical core), which oversubscribes the CPU when several
   * workers or concurrent renders share it: the worker passes its share (see threadsFor).
   */
  intraOpThreads?: number;
  /**
   * Whether idle intra-op threads spin waiting for the next operator (onnxruntime's
   * session.intra_op.allow_spinning). Default false, unlike onnxruntime: spinning saves
   * microseconds per operator when the process has its cores to itself, but takes the CPU
   * from the worker's own main thread and from other processes, and when the cores are busy a
   * spinning pool waits on preempted threads. Measured with 2 threads on a shared 2-core
   * machine: 4 images/s spinning against 30-40 not spinning (bench/pipeline.ts --spinning).
   */
  spinning?: boolean;
  /**
   * Whether onnxruntime packs every weight matrix into its GEMM layout when the session is
   * created (default true, onnxruntime's default). Packing makes each later run faster but
   * writes a second copy of the weights; a process that renders once (`flowfarm generate`)
   * turns it off: the copy's fresh pages cost more than the packing saves over four steps
   * (measured on the shipped model: model load 240 → 197 ms, render 37 → 50 ms).
   */
  prepackWeights?: boolean;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Where latents live between flow steps: 'device' keeps them in the provider's memory (the
   * Euler update runs there too), 'host' brings them back to JavaScript after every step.
   * Default 'auto': device on GPU providers, host on the CPU.
   */
  latents?: 'auto' | 'host' | 'device';
  /**
   * When the VAE encoder (image input) is created: 'load' (default) with the other sessions, so
   * a broken file fails at start; 'on-demand' at the first encodeImage, for a process that
   * mostly renders from text (`flowfarm generate` without --image starts faster).
   */
  vaeEncoder?: 'load' | 'on-demand';
  /**
   * A directory where optimised graphs are kept between processes (graph-cache.ts), CPU
   * provider only: a process that loads a model again reads the graphs onnxruntime optimised
   * the first time instead of optimising them again. Default: none (the worker loads a model
   * once per process); `flowfarm generate` uses $XDG_CACHE_HOME/flowfarm/graphs.
   */
  graphCache?: string;
  /** Whether to load and run the output check the manifest declares (`moderation`). Default true. */
  outputModeration?: boolean;
  /** @internal the provider FlowModel.load chose; sub-models load on it */
  provider?: ProviderSpec;
}

export interface Feed {
  data: Float32Array | Int32Array;
  dims: number[];
}

export interface Fetched {
  data: Float32Array;
  dims: readonly number[];
}

/** Accumulates the wall time spent inside session.run. */
export class OnnxClock {
  ms = 0;
}

const describe = (file: string, s: TensorSpec, io: string) =>
  `${file}: ${io} "${s.name}" ${s.shape} ${expectedDtype(s)}`;

/** One ONNX sub-model: validated against its spec, fed in the dtypes its graph declares. */
export class SubModel {
  private constructor(
    readonly file: string,
    private readonly session: ort.InferenceSession,
    private readonly dtypes: Map<string, string>,
  ) {}

  static async load(
    file: string,
    spec: SubModelSpec,
    options: SessionOptions,
    outputLocation?: Record<string, ort.Tensor.DataLocation>,
  ): Promise<SubModel> {
    const name = path.basename(file);
    let session: ort.InferenceSession;
    try {
      const o = sessionOptionsFor(options);
      if (outputLocation) o.preferredOutputLocation = outputLocation;
      session = options.graphCache && cacheable(o) ? await createCachedSession(file, options.graphCache, o) : await ort.InferenceSession.create(file, o);
    } catch (err) {
      throw explainCreateFailure(file, spec, err as Error);
    }
    try {
      const dtypes = validate(name, session, spec);
      return new SubModel(name, session, dtypes);
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  has(input: string): boolean {
    return this.dtypes.has(`in:${input}`);
  }

  /** The dtype the graph declares for an input or output (float32, float16, int64…). */
  dtypeOf(io: 'in' | 'out', name: string): string | undefined {
    return this.dtypes.get(`${io}:${name}`);
  }

  /** Names of the inputs the graph declares. */
  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  /**
   * Runs with onnxruntime tensors as they are (no conversion), so outputs kept in device
   * memory can be fed to the next run without a round trip through JavaScript.
   */
  async runTensors(feeds: Record<string, ort.Tensor>, outputs: string[], clock: OnnxClock): Promise<Record<string, ort.Tensor>> {
    const t0 = performance.now();
    const result = await this.session.run(feeds, outputs);
    clock.ms += performance.now() - t0;
    return result as Record<string, ort.Tensor>;
  }

  /** Converts a feed to the tensor this graph takes for that input. */
  tensorFor(input: string, feed: Feed): ort.Tensor {
    return toTensor(feed, this.dtypes.get(`in:${input}`)!);
  }

  /**
   * The feeds this graph declares, as its tensors (others are dropped): inputs that stay the
   * same over several runs (the flow steps' text states and ids) are converted once.
   */
  tensorsFor(feeds: Record<string, Feed>): Record<string, ort.Tensor> {
    const tensors: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      if (feeds[name]) tensors[name] = this.tensorFor(name, feeds[name]);
    }
    return tensors;
  }

  /**
   * Runs with the feeds the graph declares (others are dropped), each either a Feed or a
   * tensor from tensorsFor; outputs come back as fp32.
   */
  async run(feeds: Record<string, Feed | ort.Tensor>, outputs: string[], clock: OnnxClock): Promise<Record<string, Fetched>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const feed = feeds[name];
      if (!feed) throw new Error(`${this.file}: no value for input "${name}"`);
      ortFeeds[name] = isTensor(feed) ? feed : toTensor(feed, this.dtypes.get(`in:${name}`)!);
    }
    const t0 = performance.now();
    const result = await this.session.run(ortFeeds, outputs);
    clock.ms += performance.now() - t0;
    const out: Record<string, Fetched> = {};
    for (const name of outputs) {
      const t = result[name] as ort.Tensor;
      const data = t.type === 'float16' ? fromHalfArray(t.data as Uint16Array) : (t.data as Float32Array);
      out[name] = { data, dims: t.dims };
    }
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

export function sessionOptionsFor(options: SessionOptions): ort.InferenceSession.SessionOptions {
  const provider = options.provider ?? parseProviderList(options.executionProviders ?? [])[0];
  const o: ort.InferenceSession.SessionOptions = {
    executionProviders: ortProviders(provider),
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    logSeverityLevel: 3, // onnxruntime's warnings (unused initializers…) are noise for users
    // the graph runs sequentially (one node after another), so an inter-op pool would only idle
    interOpNumThreads: 1,
  };
  // onnxruntime-node rejects an explicit undefined here
  if (options.intraOpThreads !== undefined) o.intraOpNumThreads = options.intraOpThreads;
  o.extra = {
    session: {
      intra_op: { allow_spinning: options.spinning ? '1' : '0' },
      ...(options.prepackWeights === false ? { disable_prepacking: '1' } : {}),
    },
  };
  return o;
}

/** int32 → int64 by writing both 32-bit halves (little-endian, as on every platform onnxruntime-node ships for): no BigInt per element. */
function toInt64(data: Int32Array): BigInt64Array {
  const out = new BigInt64Array(data.length);
  const halves = new Int32Array(out.buffer);
  for (let i = 0; i < data.length; i++) {
    halves[2 * i] = data[i];
    halves[2 * i + 1] = data[i] >> 31; // sign extension
  }
  return out;
}

const isTensor = (feed: Feed | ort.Tensor): feed is ort.Tensor => feed instanceof ort.Tensor;

function toTensor(feed: Feed, dtype: string): ort.Tensor {
  if (feed.data instanceof Int32Array) {
    if (dtype === 'int64') return new ort.Tensor('int64', toInt64(feed.data), feed.dims);
    return new ort.Tensor('int32', feed.data, feed.dims);
  }
  if (dtype === 'float16') return new ort.Tensor('float16', toHalfArray(feed.data), feed.dims);
  return new ort.Tensor('float32', feed.data, feed.dims);
}

function validate(file: string, session: ort.InferenceSession, spec: SubModelSpec): Map<string, string> {
  const dtypes = new Map<string, string>();
  const check = (io: 'input' | 'output', meta: readonly ort.InferenceSession.ValueMetadata[]) => {
    const specs = io === 'input' ? spec.inputs : spec.outputs;
    const byName = new Map(meta.map((m) => [m.name, m]));
    for (const s of specs) {
      const m = byName.get(s.name);
      if (!m) {
        if (!s.required) continue;
        const found = meta.map((x) => x.name).join(', ') || 'none';
        throw new ModelLoadError(`${describe(file, s, io)} is missing (the graph's ${io}s are: ${found})`);
      }
      if (!m.isTensor) throw new ModelLoadError(`${describe(file, s, io)} is not a tensor`);
      if (!ALLOWED_DTYPES[s.kind].includes(m.type)) {
        throw new ModelLoadError(`${describe(file, s, io)} has dtype ${m.type}, which the pipeline cannot feed`);
      }
      checkShape(file, s, io, m.shape);
      dtypes.set(`${io === 'input' ? 'in' : 'out'}:${s.name}`, m.type);
    }
    if (io === 'input') {
      const known = new Set(specs.map((s) => s.name));
      const unknown = meta.filter((m) => !known.has(m.name)).map((m) => `"${m.name}"`);
      if (unknown.length) {
        const expected = specs.map((s) => `${s.name} ${s.shape}`).join(', ');
        throw new ModelLoadError(`${file}: input ${unknown.join(', ')} is not one the pipeline feeds (expected: ${expected})`);
      }
    }
  };
  check('input', session.inputMetadata);
  check('output', session.outputMetadata);
  return dtypes;
}

function checkShape(file: string, s: TensorSpec, io: string, shape: ReadonlyArray<number | string>): void {
  if (shape.length === 0) return; // shape not declared
  if (shape.length !== s.rank) {
    throw new ModelLoadError(`${describe(file, s, io)} has shape [${shape.join(',')}] (rank ${shape.length}, expected ${s.rank})`);
  }
  for (const [i, size] of Object.entries(s.fixed ?? {})) {
    const d = shape[Number(i)];
    if (typeof d === 'number' && d > 0 && d !== size) {
      throw new ModelLoadError(`${describe(file, s, io)} has shape [${shape.join(',')}] (dimension ${i} must be ${size})`);
    }
  }
}

function explainCreateFailure(file: string, spec: SubModelSpec, err: Error): ModelLoadError {
  const name = path.basename(file);
  const sig = readOnnxSignature(file);
  if (sig) {
    for (const [io, list, specs] of [
      ['input', sig.inputs, spec.inputs],
      ['output', sig.outputs, spec.outputs],
    ] as const) {
      for (const t of list) {
        const s = specs.find((x) => x.name === t.name);
        const allowed = s ? ALLOWED_DTYPES[s.kind] : [...ALLOWED_DTYPES.float, ...ALLOWED_DTYPES.ids];
        if (!allowed.includes(t.dtype)) {
          const want = s ? `expected ${s.name} ${s.shape} ${expectedDtype(s)}` : 'not a tensor name the pipeline knows';
          return new ModelLoadError(
            `${name}: ${io} "${t.name}" has dtype ${t.dtype}, which onnxruntime-node cannot feed (${want}); ` +
              're-export the model in float32 or float16',
          );
        }
      }
    }
  }
  return new ModelLoadError(`${name}: onnxruntime could not load ${file}: ${err.message}`);
}
