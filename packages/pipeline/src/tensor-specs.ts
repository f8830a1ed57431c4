import type { ModelManifest } from './manifest.js';

/** What the pipeline feeds and fetches, per sub-model (FLUX.1 ONNX export names). */
export interface TensorSpec {
  name: string;
  /** human shape for messages, e.g. [B,S,64] */
  shape: string;
  rank: number;
  /** dims that must match when the graph declares them as numbers: index → size */
  fixed?: Record<number, number>;
  kind: 'float' | 'ids';
  required: boolean;
}

export interface SubModelSpec {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
}

export type SubModelName = 'clip' | 't5' | 'transformer' | 'vaeDecoder';

/** dtypes the pipeline can feed/read for each kind (onnxruntime-node has no bfloat16). */
export const ALLOWED_DTYPES: Record<TensorSpec['kind'], readonly string[]> = {
  float: ['float32', 'float16'],
  ids: ['int32', 'int64'],
};

export function expectedDtype(spec: TensorSpec): string {
  return spec.kind === 'ids' ? 'int32 (or int64)' : 'float32 (or float16)';
}

const f = (name: string, shape: string, required: boolean, fixed?: Record<number, number>): TensorSpec => ({
  name, shape, rank: shape.split(',').length, fixed, kind: 'float', required,
});

export function subModelSpecs(m: ModelManifest): Record<SubModelName, SubModelSpec> {
  const ids = (len: number): TensorSpec => ({
    name: 'input_ids', shape: `[B,${len}]`, rank: 2, fixed: { 1: len }, kind: 'ids', required: true,
  });
  const C = m.latentChannels;
  return {
    clip: {
      inputs: [ids(m.textLengths.clip)],
      outputs: [f('pooled_embeddings', '[B,P]', true), f('text_embeddings', '[B,Lc,Dc]', false)],
    },
    t5: {
      inputs: [ids(m.textLengths.t5)],
      outputs: [f('text_embeddings', '[B,L,D]', true)],
    },
    transformer: {
      // torch.onnx.export drops inputs a graph does not use, so only the essential ones are
      // required; the others are fed when the session declares them.
      inputs: [
        f('hidden_states', `[B,S,${C * 4}]`, true, { 2: C * 4 }),
        f('encoder_hidden_states', '[B,L,D]', true, { 1: m.textLengths.t5 }),
        f('pooled_projections', '[B,P]', false),
        f('timestep', '[B]', true),
        f('img_ids', '[S,3]', false, { 1: 3 }),
        f('txt_ids', '[L,3]', false, { 0: m.textLengths.t5, 1: 3 }),
        f('guidance', '[B]', m.variant === 'dev'),
      ],
      outputs: [f('latent', `[B,S,${C * 4}]`, true, { 2: C * 4 })],
    },
    vaeDecoder: {
      inputs: [f('latent', `[B,${C},H/8,W/8]`, true, { 1: C })],
      outputs: [f('images', '[B,3,H,W]', true, { 1: 3 })],
    },
  };
}
