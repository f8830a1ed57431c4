import * as ort from 'onnxruntime-node';
import { ModelLoadError } from './errors.js';
import {
  explainProviderFailure, isDeviceProvider, ortProviders, parseProviderList, ProviderConfigError, providerLabel,
  type ProviderSpec,
} from './execution-providers.js';
import { buildOnnxModel, eulerStepGraph } from './onnx-builder.js';

export interface ProviderChoice {
  spec: ProviderSpec;
  /** providers earlier in the list that could not start, one line each */
  skipped: string[];
  /** whether outputs can stay in device memory and be fed back (checked by a round trip) */
  deviceResident: boolean;
  /** why latents go through the host when the provider is a GPU one */
  deviceResidentNote?: string;
}

const PROBE_MODEL = buildOnnxModel(eulerStepGraph('float32', 'float32'));
const probes = new Map<string, Promise<ProviderChoice['deviceResident'] | Error>>();

/**
 * Starts a one-node session on the provider and runs it twice, the second time fed with the
 * first run's output kept where the provider put it. A provider that cannot start (no
 * libraries, no adapter) fails here in milliseconds, before any model weights are read.
 */
async function probe(spec: ProviderSpec): Promise<boolean | Error> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(PROBE_MODEL, {
      executionProviders: ortProviders(spec),
      logSeverityLevel: 3,
      preferredOutputLocation: isDeviceProvider(spec) ? 'gpu-buffer' : 'cpu',
    });
  } catch (err) {
    return err as Error;
  }
  try {
    const dt = new ort.Tensor('float32', new Float32Array([0.5]), [1]);
    const x = new ort.Tensor('float32', new Float32Array([1, 2]), [1, 1, 2]);
    const first = await session.run({ x, velocity: x, dt });
    const second = await session.run({ x: first.x_next, velocity: first.x_next, dt });
    const values = await (second.x_next as ort.Tensor).getData(true);
    for (const t of [first.x_next, second.x_next]) (t as ort.Tensor).dispose();
    // 1 + .5·1 = 1.5, then 1.5 + .5·1.5 = 2.25; 2 → 3 → 4.5
    return values[0] === 2.25 && values[1] === 4.5;
  } catch {
    return false;
  } finally {
    await session.release();
  }
}

function probeOnce(spec: ProviderSpec): Promise<boolean | Error> {
  // onnxruntime's CPU provider is built in: it starts wherever onnxruntime-node loaded, and its
  // outputs are host tensors any run takes back. Probing it only cost start-up time (a session
  // and two runs, ~5 ms of CPU in every `flowfarm generate`).
  if (spec.name === 'cpu') return Promise.resolve(true);
  const key = JSON.stringify(ortProviders(spec));
  let p = probes.get(key);
  if (!p) probes.set(key, (p = probe(spec)));
  return p;
}

/**
 * The first provider of the list that starts; the reasons the earlier ones did not. All of a
 * model's sessions use the one chosen, so tensors never move between providers mid-pipeline.
 */
export async function chooseProvider(list: readonly string[] | undefined): Promise<ProviderChoice> {
  let specs: ProviderSpec[];
  try {
    specs = parseProviderList(list ?? []);
  } catch (err) {
    if (err instanceof ProviderConfigError) throw new ModelLoadError(`execution providers: ${err.message}`);
    throw err;
  }
  const skipped: string[] = [];
  for (const spec of specs) {
    const result = await probeOnce(spec);
    if (result instanceof Error) {
      skipped.push(explainProviderFailure(spec, result));
      continue;
    }
    const choice: ProviderChoice = { spec, skipped, deviceResident: result };
    if (isDeviceProvider(spec) && !result) {
      choice.deviceResidentNote = `${providerLabel(spec)}: outputs could not be kept in device memory (onnxruntime-node returned no usable gpu-buffer tensor); latents go through the host`;
    }
    return choice;
  }
  throw new ModelLoadError(`no execution provider could start: ${skipped.join('; ')}`);
}
