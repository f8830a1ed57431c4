import * as ort from 'onnxruntime-node';

/**
 * Execution providers the pipeline knows, with the options an operator sets for each, and the
 * text form used by EXECUTION_PROVIDERS and `flowfarm generate --provider`:
 *
 *   tensorrt:0;fp16;cache=/var/cache/trt, cuda:0;mem=20000, webgpu, cpu
 *
 * (name, optional `:deviceId`, then `;`-separated options), in order of preference.
 */
export const PROVIDER_NAMES = ['cpu', 'webgpu', 'cuda', 'tensorrt'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface ProviderSpec {
  name: ProviderName;
  /** GPU index (cuda, tensorrt; webgpu picks its adapter itself) */
  deviceId?: number;
  /** device memory the model may use, in MiB: checked at load (see memory-fit.ts) */
  memoryLimitMb?: number;
  /** TensorRT: build fp16 engines */
  fp16?: boolean;
  /** TensorRT: keep built engines in this folder, so the next start skips the build (minutes for FLUX) */
  engineCacheDir?: string;
}

/** A provider list that cannot be parsed: a configuration mistake, reported in one line. */
export class ProviderConfigError extends Error {
  override name = 'ProviderConfigError';
}

const OPTION_HELP = 'options: mem=<MiB>, fp16, cache=<dir>';

/** Parses one entry, e.g. `cuda:1;mem=16000`. */
export function parseProviderSpec(text: string): ProviderSpec {
  const [head, ...options] = text.split(';').map((s) => s.trim());
  const [name, device, extra] = head.split(':');
  if (!(PROVIDER_NAMES as readonly string[]).includes(name)) {
    throw new ProviderConfigError(`unknown execution provider "${name}" in "${text}" (known: ${PROVIDER_NAMES.join(', ')})`);
  }
  const spec: ProviderSpec = { name: name as ProviderName };
  if (extra !== undefined) throw new ProviderConfigError(`"${text}": expected name or name:deviceId`);
  if (device !== undefined) {
    if (!/^\d+$/.test(device)) throw new ProviderConfigError(`"${text}": device id must be a non-negative integer`);
    if (name === 'cpu' || name === 'webgpu') throw new ProviderConfigError(`"${text}": ${name} takes no device id`);
    spec.deviceId = Number(device);
  }
  for (const option of options.filter(Boolean)) {
    const [key, value] = option.split('=');
    if (key === 'mem' && value !== undefined && /^\d+$/.test(value) && Number(value) > 0) spec.memoryLimitMb = Number(value);
    else if (key === 'fp16' && value === undefined && name === 'tensorrt') spec.fp16 = true;
    else if (key === 'cache' && value && name === 'tensorrt') spec.engineCacheDir = value;
    else throw new ProviderConfigError(`"${text}": option "${option}" is not valid for ${name} (${OPTION_HELP}; fp16 and cache are TensorRT's)`);
  }
  return spec;
}

/** Parses a comma-separated list; empty means the default, cpu alone. */
export function parseProviderList(text: string | readonly string[]): ProviderSpec[] {
  const parts = (typeof text === 'string' ? text.split(',') : text).map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) return [{ name: 'cpu' }];
  const specs = parts.map(parseProviderSpec);
  const seen = new Set<string>();
  for (const s of specs) {
    const key = providerLabel({ name: s.name, deviceId: s.deviceId });
    if (seen.has(key)) throw new ProviderConfigError(`execution provider ${key} is listed twice`);
    seen.add(key);
  }
  return specs;
}

/** Short label for logs, heartbeats and metrics: cpu, webgpu, cuda:0, tensorrt:0. */
export function providerLabel(spec: Pick<ProviderSpec, 'name' | 'deviceId'>): string {
  if (spec.name === 'cpu' || spec.name === 'webgpu') return spec.name;
  return `${spec.name}:${spec.deviceId ?? 0}`;
}

/** Text form of a spec (round-trips through parseProviderSpec). */
export function formatProviderSpec(spec: ProviderSpec): string {
  const options: string[] = [];
  if (spec.memoryLimitMb !== undefined) options.push(`mem=${spec.memoryLimitMb}`);
  if (spec.fp16) options.push('fp16');
  if (spec.engineCacheDir) options.push(`cache=${spec.engineCacheDir}`);
  return [providerLabel(spec), ...options].join(';');
}

/**
 * What onnxruntime is given for a spec. TensorRT runs what it cannot compile on CUDA (same
 * device) rather than on the CPU. onnxruntime-node 1.30 passes only `deviceId` to CUDA and
 * TensorRT; TensorRT's other options travel as environment variables (providerEnvironment).
 */
export function ortProviders(spec: ProviderSpec): ort.InferenceSession.ExecutionProviderConfig[] {
  if (spec.name === 'cpu') return ['cpu'];
  if (spec.name === 'webgpu') return ['webgpu'];
  const deviceId = spec.deviceId ?? 0;
  if (spec.name === 'cuda') return [{ name: 'cuda', deviceId }];
  return [{ name: 'tensorrt', deviceId }, { name: 'cuda', deviceId }];
}

/**
 * Environment variables the TensorRT provider reads when it starts (its documented
 * ORT_TENSORRT_* settings). They must be in the process environment before the first session
 * is created, on the main thread: a worker thread's process.env is a private copy.
 */
export function providerEnvironment(specs: readonly ProviderSpec[]): Record<string, string> {
  const trt = specs.find((s) => s.name === 'tensorrt');
  if (!trt) return {};
  const env: Record<string, string> = { ORT_TENSORRT_FP16_ENABLE: trt.fp16 ? '1' : '0' };
  if (trt.engineCacheDir) {
    env.ORT_TENSORRT_ENGINE_CACHE_ENABLE = '1';
    env.ORT_TENSORRT_CACHE_PATH = trt.engineCacheDir;
    env.ORT_TENSORRT_TIMING_CACHE_ENABLE = '1';
  }
  return env;
}

/** True for providers whose tensors live in device memory (outputs can stay there between runs). */
export function isDeviceProvider(spec: Pick<ProviderSpec, 'name'>): boolean {
  return spec.name !== 'cpu';
}

/**
 * One line saying why a provider could not start, from onnxruntime's (multi-line, source-path
 * laden) message, with the fix where we know it.
 */
export function explainProviderFailure(spec: ProviderSpec, err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const label = providerLabel(spec);
  if (/Failed to load (shared )?library/i.test(raw) && (spec.name === 'cuda' || spec.name === 'tensorrt')) {
    return `${label}: onnxruntime-node has no ${spec.name} libraries here (a GPU image installs them: ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node; see infra/docker/Dockerfile.worker-gpu)`;
  }
  const adapter = /Failed to get a WebGPU adapter[^\n]*/.exec(raw);
  if (adapter) {
    return `${label}: ${adapter[0].trim()} (WebGPU runs on Dawn over Vulkan: needs libvulkan1 and a GPU driver with a Vulkan ICD; software Vulkan is rejected)`;
  }
  const lines = raw.split('\n').map((l) => l.trim()).filter(Boolean);
  // onnxruntime prefixes messages with "/onnxruntime_src/...cc:123 function(...) ": keep the tail
  const last = (lines.at(-1) ?? 'unknown error').replace(/^\/\S+:\d+\s+.*?\)\s+/, '');
  return `${label}: ${last}`;
}
