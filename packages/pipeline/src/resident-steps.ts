import * as ort from 'onnxruntime-node';
import { isDeviceProvider, type ProviderSpec } from './execution-providers.js';
import { toHalfArray } from './float16.js';
import { buildOnnxModel, eulerStepGraph, type GraphDtype } from './onnx-builder.js';
import { sessionOptionsFor, type Feed, type OnnxClock, type SessionOptions, type SubModel } from './session.js';

export interface StepLoopInput {
  /** packed initial noise [B,S,C·4], fp32 */
  x: Float32Array;
  dims: [number, number, number];
  sigmas: Float32Array;
  /** the transformer's other inputs (text states, ids, guidance); fed only where declared */
  feeds: Record<string, Feed>;
  clock: OnnxClock;
  checkAbort(): void;
  onStep(step: number, total: number, ms: number): void;
}

/**
 * The flow steps with the latents kept where the provider computes: the transformer's
 * `latent` output goes straight into a small Euler graph on the same provider, whose output
 * goes straight back into the transformer. Per step only the timestep (B floats) is uploaded;
 * the other inputs are made into tensors once. The final latent comes back once.
 *
 * The arithmetic is the host loop's (fp32 update, fp16 casts rounding to nearest even), so on
 * the CPU both loops give the same bytes.
 */
export class ResidentSteps {
  private constructor(
    private readonly transformer: SubModel,
    private readonly euler: ort.InferenceSession,
    private readonly inputDtype: string,
  ) {}

  static async create(transformer: SubModel, options: SessionOptions & { provider: ProviderSpec }): Promise<ResidentSteps> {
    const input = transformer.dtypeOf('in', 'hidden_states') as GraphDtype;
    const velocity = transformer.dtypeOf('out', 'latent') as GraphDtype;
    const o = sessionOptionsFor(options);
    if (isDeviceProvider(options.provider)) o.preferredOutputLocation = 'gpu-buffer';
    const euler = await ort.InferenceSession.create(buildOnnxModel(eulerStepGraph(velocity, input)), o);
    return new ResidentSteps(transformer, euler, input);
  }

  /** Runs every step; returns the final packed latent [B,S,C·4] in fp32. */
  async run(input: StepLoopInput): Promise<Float32Array> {
    const { dims, sigmas, clock } = input;
    const B = dims[0];
    const fixed: Record<string, ort.Tensor> = {};
    for (const name of this.transformer.inputNames) {
      if (name === 'hidden_states' || name === 'timestep') continue;
      const feed = input.feeds[name];
      if (!feed) throw new Error(`${this.transformer.file}: no value for input "${name}"`);
      fixed[name] = this.transformer.tensorFor(name, feed);
    }
    let x32: ort.Tensor = new ort.Tensor('float32', input.x, dims);
    let xIn: ort.Tensor = this.inputDtype === 'float16' ? new ort.Tensor('float16', toHalfArray(input.x), dims) : x32;
    const owned = new Set<ort.Tensor>(); // tensors onnxruntime allocated (device memory to free)
    const free = (t: ort.Tensor) => {
      if (owned.delete(t)) t.dispose();
    };
    try {
      const steps = sigmas.length - 1;
      for (let i = 0; i < steps; i++) {
        input.checkAbort();
        const t0 = performance.now();
        const timestep = this.transformer.tensorFor('timestep', { data: new Float32Array(B).fill(sigmas[i]), dims: [B] });
        const out = await this.transformer.runTensors({ ...fixed, hidden_states: xIn, timestep }, ['latent'], clock);
        owned.add(out.latent);
        const dt = Math.fround(Math.fround(sigmas[i + 1]) - Math.fround(sigmas[i]));
        const t1 = performance.now();
        const next = await this.euler.run({ x: x32, velocity: out.latent, dt: new ort.Tensor('float32', Float32Array.of(dt), [1]) });
        clock.ms += performance.now() - t1;
        free(out.latent);
        if (xIn !== x32) free(xIn);
        free(x32);
        x32 = next.x_next as ort.Tensor;
        owned.add(x32);
        xIn = (next.x_next_f16 as ort.Tensor | undefined) ?? x32;
        owned.add(xIn);
        input.onStep(i + 1, steps, performance.now() - t0);
      }
      input.checkAbort();
      return (await x32.getData()) as Float32Array;
    } finally {
      for (const t of owned) t.dispose();
    }
  }

  release(): Promise<void> {
    return this.euler.release();
  }
}
