/**
 * Images in: RGB8 pixels → the VAE encoder → the latent space the flow transformer works in.
 *
 * The result is in the same form as the pipeline's own sampling state `x` (what Euler steps
 * update in generateBatch): normalized as `(latent − shiftFactor) · scalingFactor` and packed into
 * 2x2 patches, [B, (H/16)(W/16), C·4]. Image-to-image therefore mixes it with noise as
 * `(1 − σ) · encoded + σ · noise` and runs the remaining steps. `decodeLatents` is the inverse
 * (unpack, `/ scalingFactor + shiftFactor`, VAE decoder, RGB8).
 */
import { PipelineInputError } from './errors.js';
import { geometryFor, packLatents, unpackLatents, sequenceLength } from './latents.js';
import type { ModelManifest } from './manifest.js';
import { imagesToRgb8 } from './png.js';
import type { OnnxClock, SubModel } from './session.js';
import type { TensorSpec, SubModelSpec } from './tensor-specs.js';

/** An image to encode: interleaved RGB8 (as decodePngRgb returns it). */
export interface ImageInput {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** Packed, normalized latents of a batch of same-size images. */
export interface EncodedImages {
  /** `(latent − shiftFactor) · scalingFactor`, packed: [B, (H/16)(W/16), C·4] row-major */
  latents: Float32Array;
  dims: [number, number, number];
  width: number;
  height: number;
}

/** FLUX.1 export names of the VAE encoder: images [B,3,H,W] in [-1,1] → latent [B,C,H/8,W/8]. */
export function vaeEncoderSpec(m: ModelManifest): SubModelSpec {
  const f = (name: string, shape: string, fixed: Record<number, number>): TensorSpec => ({
    name, shape, rank: 4, fixed, kind: 'float', required: true,
  });
  return {
    inputs: [f('images', '[B,3,H,W]', { 1: 3 })],
    outputs: [f('latent', `[B,${m.latentChannels},H/8,W/8]`, { 1: m.latentChannels })],
  };
}

/** Checks sizes against the manifest and returns the shared width and height. */
function checkImages(images: readonly ImageInput[], m: ModelManifest): { width: number; height: number } {
  if (images.length === 0) throw new PipelineInputError('encodeImage: no images given');
  const { width, height } = images[0];
  const { min, max, multiple } = m.resolution;
  images.forEach((img, i) => {
    for (const [name, v] of [['width', img.width], ['height', img.height]] as const) {
      if (!Number.isInteger(v) || v < min || v > max || v % multiple !== 0) {
        throw new PipelineInputError(`image ${i}: ${name} must be a multiple of ${multiple} from ${min} to ${max} (got ${v})`);
      }
    }
    if (img.width !== width || img.height !== height) {
      throw new PipelineInputError(`image ${i}: all images of one batch must share a size (${width}x${height}, got ${img.width}x${img.height})`);
    }
    if (img.rgb.length !== img.width * img.height * 3) {
      throw new PipelineInputError(`image ${i}: expected ${img.width * img.height * 3} RGB8 bytes for ${img.width}x${img.height}, got ${img.rgb.length}`);
    }
  });
  return { width, height };
}

/** Interleaved RGB8 → planar [B,3,H,W] in [-1,1] (the decoder's output range). */
function toImageTensor(images: readonly ImageInput[], width: number, height: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(images.length * 3 * plane);
  images.forEach((img, b) => {
    for (let c = 0; c < 3; c++) {
      const dst = (b * 3 + c) * plane;
      for (let p = 0; p < plane; p++) out[dst + p] = img.rgb[p * 3 + c] / 127.5 - 1;
    }
  });
  return out;
}

export async function encodeImages(
  encoder: SubModel, m: ModelManifest, images: readonly ImageInput[], clock: OnnxClock,
): Promise<EncodedImages> {
  const { width, height } = checkImages(images, m);
  const B = images.length;
  const g = geometryFor(width, height, m.latentChannels);
  const out = await encoder.run({ images: { data: toImageTensor(images, width, height), dims: [B, 3, height, width] } }, ['latent'], clock);
  const latent = Float32Array.from(out.latent.data);
  const { scalingFactor, shiftFactor } = m.vae;
  for (let i = 0; i < latent.length; i++) latent[i] = (latent[i] - shiftFactor) * scalingFactor;
  return { latents: packLatents(latent, B, g), dims: [B, sequenceLength(g), m.latentChannels * 4], width, height };
}

/** Packed, normalized latents → RGB8 images (one array per image). */
export async function decodeLatents(
  decoder: SubModel, m: ModelManifest, latents: Float32Array, width: number, height: number, clock: OnnxClock,
): Promise<Uint8Array[]> {
  const g = geometryFor(width, height, m.latentChannels);
  const perImage = g.channels * g.latentH * g.latentW;
  if (latents.length === 0 || latents.length % perImage !== 0) {
    throw new PipelineInputError(`decodeLatents: ${latents.length} values is not a whole number of ${width}x${height} latents (${perImage} each)`);
  }
  const B = latents.length / perImage;
  const z = unpackLatents(latents, B, g);
  const { scalingFactor, shiftFactor } = m.vae;
  for (let i = 0; i < z.length; i++) z[i] = z[i] / scalingFactor + shiftFactor;
  const out = await decoder.run({ latent: { data: z, dims: [B, g.channels, g.latentH, g.latentW] } }, ['images'], clock);
  return imagesToRgb8(out.images.data, B, width, height);
}
