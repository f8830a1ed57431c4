// Public API of @flowfarm/pipeline: the only package that imports onnxruntime-node.
import { FlowModel } from './flow-model.js';
import type { SessionOptions } from './session.js';

export { FlowModel, PIPELINE_VERSION, type ProviderInfo } from './flow-model.js';
export {
  PROVIDER_NAMES, ProviderConfigError, formatProviderSpec, parseProviderList, parseProviderSpec, providerEnvironment,
  providerLabel, type ProviderName, type ProviderSpec,
} from './execution-providers.js';
export { ModelLoadError, PipelineInputError } from './errors.js';
export { defaultGraphCacheDir } from './graph-cache.js';
export { listModelDirs, manifestIssues, readManifest, type ModelManifest } from './manifest.js';
export type { SessionOptions } from './session.js';
export type { GenerateOptions, GenerateRequest, GenerateResult, GeneratedImage, ResolvedRequest, StageTimings } from './types.js';
export { MAX_LAYOUT_OBJECTS, type Box, type LayoutRegion, type PipelineLayout, type RegionalOptions } from './regional-guidance.js';
export { decodePngRgb, type DecodedRgb } from './png.js';
export type { EncodedImages, ImageInput } from './vae-encoder.js';
export type { OutputModeration } from './output-moderation.js';
export { initFromImageFile } from './image-file-input.js';
export { progressSteps } from './render-passes.js';
export {
  CONTENT_TYPES, DEFAULT_OUTPUT_QUALITY, FILE_EXTENSIONS, OUTPUT_FORMATS, decodeOutputImage, encodeOutputImage, parametersFromXmp,
  type DecodedOutputImage, type OutputFormat, type OutputImageOptions,
} from './output-image.js';
export { MAX_PALETTE_COLORS, lockToPalette, paletteCoverage, parseHexColor, type PaletteEdges, type Rgb } from './palette-lock.js';

/** Loads models/<name>/ (model.json + ONNX files + tokenizers); throws ModelLoadError. */
export async function loadModel(dir: string, options?: SessionOptions): Promise<FlowModel> {
  return FlowModel.load(dir, options);
}
