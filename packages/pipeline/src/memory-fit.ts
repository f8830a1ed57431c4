import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ModelLoadError } from './errors.js';
import { providerLabel, type ProviderSpec } from './execution-providers.js';
import { externalDataFilesOf } from './onnx-external-data.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Graph files above this size hold their weights inline; smaller ones are parsed for external data. */
const INLINE_WEIGHTS_BYTES = 64 * MiB;
/** Working memory beyond the weights: activations of one step (FLUX at 1024² in fp16 needs a few GiB). */
export const WORKING_FRACTION = 0.15;
export const WORKING_MIN_BYTES = 1 * GiB;

/** Bytes of weights a graph brings: the file itself plus every external data file it names. */
export function graphWeightBytes(file: string): number {
  const size = statSync(file).size;
  if (size > INLINE_WEIGHTS_BYTES) return size;
  let total = size;
  for (const rel of externalDataFilesOf(file, size)) {
    const data = path.resolve(path.dirname(file), rel);
    try {
      total += statSync(data).size;
    } catch {
      throw new ModelLoadError(`${path.basename(file)}: external data file ${data} does not exist (it must lie next to the graph, as in the published FLUX.1 ONNX exports)`);
    }
  }
  return total;
}

/** Memory the provider may use: the spec's `mem=` limit, else what the device reports free. */
export function deviceMemoryBudget(spec: ProviderSpec): { bytes: number; source: string } | undefined {
  if (spec.memoryLimitMb !== undefined) return { bytes: spec.memoryLimitMb * MiB, source: `its mem=${spec.memoryLimitMb} limit` };
  if (spec.name === 'cpu') return { bytes: os.totalmem(), source: 'the machine\'s memory' };
  if (spec.name === 'cuda' || spec.name === 'tensorrt') {
    try {
      // loaded here, for GPU providers only: child_process costs a CPU-only start some milliseconds
      const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
      const out = execFileSync(
        'nvidia-smi',
        ['--query-gpu=memory.free', '--format=csv,noheader,nounits', `--id=${spec.deviceId ?? 0}`],
        { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const mib = Number(out.trim().split('\n')[0]);
      if (Number.isFinite(mib) && mib > 0) return { bytes: mib * MiB, source: 'free memory reported by nvidia-smi' };
    } catch {
      // no nvidia-smi: no check unless mem= is set
    }
  }
  return undefined; // webgpu reports no memory size to onnxruntime-node
}

const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

export interface MemoryFit {
  weightBytes: number;
  neededBytes: number;
  budgetBytes?: number;
}

/**
 * Refuses, before any session is created, a model that cannot fit: a 24 GB FLUX.1 transformer
 * on a 16 GB card would otherwise fail minutes into loading with an allocator message.
 */
export function checkMemoryFit(modelName: string, files: string[], spec: ProviderSpec): MemoryFit {
  const weightBytes = files.reduce((sum, f) => sum + graphWeightBytes(f), 0);
  const neededBytes = weightBytes + Math.max(WORKING_MIN_BYTES, weightBytes * WORKING_FRACTION);
  const budget = deviceMemoryBudget(spec);
  if (budget && neededBytes > budget.bytes) {
    throw new ModelLoadError(
      `model ${modelName} does not fit on ${providerLabel(spec)}: it needs about ${gib(neededBytes)} ` +
        `(${gib(weightBytes)} of weights + working memory) but ${providerLabel(spec)} has ${gib(budget.bytes)} (${budget.source}); ` +
        'use a smaller export (fp8/fp16 instead of fp32), a larger device, or a higher mem= limit',
    );
  }
  return { weightBytes, neededBytes, budgetBytes: budget?.bytes };
}
