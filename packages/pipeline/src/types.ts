export interface GenerateRequest {
  prompt: string;
  width?: number;
  height?: number;
  steps?: number;
  /** dev variants only */
  guidance?: number;
  /** 0 … 2^32-1; random when absent (and reported) */
  seed?: number;
  /** 1-4; image k uses seed+k */
  numImages?: number;
}

export interface ResolvedRequest {
  prompt: string;
  width: number;
  height: number;
  steps: number;
  guidance?: number;
  seed: number;
  numImages: number;
}

export interface GenerateOptions {
  /** called after each flow step */
  onProgress?: (p: { step: number; total: number }) => void;
  /** checked between steps; generate then rejects with an Error named 'AbortError' */
  signal?: AbortSignal;
}

export interface GeneratedImage {
  /** PNG bytes with tEXt chunks: prompt, seed, steps, size, model, pipeline */
  data: Uint8Array;
  contentType: 'image/png';
  width: number;
  height: number;
  seed: number;
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
