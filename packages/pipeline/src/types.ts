import type { OutputModeration } from './output-moderation.js';
import type { AspectRatio } from '@flowfarm/contracts';
import type { OutputFormat } from './output-image.js';
import type { PaletteEdges } from './palette-lock.js';
import type { PipelineLayout, RegionalOptions } from './regional-guidance.js';

export interface GenerateRequest {
  prompt: string;
  /** object boxes with their own prompts (regional guidance); `prompt` is the background's default */
  layout?: PipelineLayout;
  /** tuning of regional guidance (the eval compares variants); defaults when absent */
  regional?: RegionalOptions;
  width?: number;
  height?: number;
  steps?: number;
  /** dev variants only */
  guidance?: number;
  /** 0 … 2^32-1; random when absent (and reported) */
  seed?: number;
  /** 1-4; image k uses seed+k */
  numImages?: number;
  /** picks width and height near the base pixel count (not with width/height) */
  aspectRatio?: AspectRatio;
  /** four times the base pixel count (square unless aspectRatio says otherwise) */
  ultra?: boolean;
  /** 1-8 "#rrggbb" colors: every pixel of the output is one of them (palette-lock.ts) */
  palette?: string[];
  /** "hard" (default): nearest palette color everywhere; "edges": two-color blends on boundaries */
  paletteEdges?: PaletteEdges;
  /** name of the style preset the prompt and defaults came from (recorded in the file; applied by the caller) */
  style?: string;
  /** rendered without preset or palette processing (recorded in the file) */
  raw?: boolean;
  /** image-to-image: (0, 1], how far down the schedule to start (1: from pure noise); needs `init` below 1 */
  strength?: number;
  /** image-to-image: the starting image as packed, normalized latents [1, S, C·4] (FlowModel.encodeImage's form) */
  init?: { latents: Float32Array };
  /** sha256 of the starting image's file, recorded in the output's parameters (input_image_sha256) */
  inputImageSha256?: string;
  /** prompt chaining: this render is stage `index` (from 0) of `count`, recorded in the file (stage, stages) */
  stage?: { index: number; count: number };
  /**
   * set by the pipeline on the second pass of `ultra` in refine mode, or of a large size on a model
   * whose manifest says `highResolution: {mode: "refine"}` (the file says ultra_mode or
   * high_resolution refine, not strength)
   */
  ultraRefine?: boolean;
  /**
   * set by the pipeline on the refine pass of a collage layout render (collage.ts): the layout is
   * not drawn again, and the file records layout_mode collage
   */
  collageRefine?: boolean;
  /** png (default), jpeg or webp; the parameters are embedded in every format */
  outputFormat?: OutputFormat;
  /** 1-100 for jpeg/webp (default 90); ignored for png */
  outputQuality?: number;
  /**
   * 32-bit invisible-watermark payloads, one per image (image k gets entry k), embedded in the
   * pixels before encoding (@flowfarm/trust's block watermark). Absent: no watermark.
   */
  watermarks?: number[];
}

export interface ResolvedRequest {
  prompt: string;
  layout?: PipelineLayout;
  regional?: RegionalOptions;
  width: number;
  height: number;
  steps: number;
  guidance?: number;
  seed: number;
  numImages: number;
  aspectRatio?: AspectRatio;
  ultra?: boolean;
  /** lower-case #rrggbb */
  palette?: string[];
  paletteEdges?: PaletteEdges;
  style?: string;
  raw?: boolean;
  strength?: number;
  init?: { latents: Float32Array };
  inputImageSha256?: string;
  stage?: { index: number; count: number };
  ultraRefine?: boolean;
  collageRefine?: boolean;
  /** the trained size this request renders at before its image is resampled to width x height (trained-sizes.ts) */
  renderSize?: { width: number; height: number };
  outputFormat: OutputFormat;
  /** set for jpeg/webp only */
  outputQuality?: number;
  watermarks?: number[];
}

export interface GenerateOptions {
  /** called after each flow step */
  onProgress?: (p: { step: number; total: number }) => void;
  /** checked between steps; generate then rejects with an Error named 'AbortError' */
  signal?: AbortSignal;
}

export interface GeneratedImage {
  /** image bytes with the parameters embedded (PNG tEXt chunks, XMP for JPEG/WebP): prompt, seed, steps, size, model, pipeline, … */
  data: Uint8Array;
  /** image/png, image/jpeg or image/webp */
  contentType: string;
  width: number;
  height: number;
  seed: number;
  /**
   * SHA-256 (hex) of the RGB8 pixels handed to the encoder: what a PNG decodes to. Provenance
   * records it without decoding the file again.
   */
  pixelsSha256: string;
  /** the model's output check (model.json `moderation`), when it declares one */
  moderation?: OutputModeration;
}

export interface StageTimings {
  loadMs?: number;
  /** tokenizers + text encoders */
  encodeMs: number;
  /** one entry per flow step (transformer + Euler update) */
  stepsMs: number[];
  /** unpack + VAE decoder */
  decodeMs: number;
  /** RGB conversion + PNG encoding */
  encodeImageMs: number;
  totalMs: number;
  /** time inside onnxruntime's session.run */
  onnxMs: number;
  /** where latents lived between steps: 'device' = on the execution provider, never copied to JavaScript */
  latents?: 'host' | 'device';
}

export interface GenerateResult {
  request: ResolvedRequest;
  images: GeneratedImage[];
  timings: StageTimings;
}
