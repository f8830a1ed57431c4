// Public API of @flowfarm/pipeline: the only package that imports onnxruntime-node.
import { FlowModel } from './flow-model.js';
import type { SessionOptions } from './session.js';

export { FlowModel, PIPELINE_VERSION } from './flow-model.js';
export { ModelLoadError, PipelineInputError } from './errors.js';
export { ModelManifest, listModelDirs, readManifest } from './manifest.js';
export type { SessionOptions } from './session.js';
export type { GenerateOptions, GenerateRequest, GenerateResult, GeneratedImage, ResolvedRequest, StageTimings } from './types.js';
export { decodePngRgb, type DecodedRgb } from './png.js';
export type { EncodedImages, ImageInput } from './vae-encoder.js';

/** Loads models/<name>/ (model.json + ONNX files + tokenizers); throws ModelLoadError. */
export async function loadModel(dir: string, options?: SessionOptions): Promise<FlowModel> {
  return FlowModel.load(dir, options);
}
