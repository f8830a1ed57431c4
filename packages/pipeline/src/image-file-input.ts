// Image-to-image from a file: png/jpeg/webp bytes → RGB8 at the render's size → VAE encoder →
// the packed latents `GenerateRequest.init` takes. The file is stretched to width x height
// (fit: fill) so its content keeps its place in the frame, as the job's own image would.
import { loadSharp } from './lazy-sharp.js';
import { PipelineInputError } from './errors.js';
import type { FlowModel } from './flow-model.js';

export async function initFromImageFile(model: FlowModel, bytes: Uint8Array, width: number, height: number): Promise<{ latents: Float32Array }> {
  const sharp = await loadSharp();
  let rgb: Uint8Array;
  try {
    const { data } = await sharp(bytes)
      .removeAlpha()
      .toColourspace('srgb')
      .resize(width, height, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    rgb = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } catch (err) {
    throw new PipelineInputError(`the starting image could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
  const encoded = await model.encodeImage([{ rgb, width, height }]);
  return { latents: encoded.latents };
}
