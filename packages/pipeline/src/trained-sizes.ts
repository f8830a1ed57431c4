// Rendering at the sizes a model was trained at. A size `aspectRatio`/`ultra` picks (80x48 for
// 16:9 on a 64x64 base) may be one the model never saw; tiny-shapes draws its shapes far worse
// there (shape class 30-40 points down) than at the trained size of nearly the same ratio
// (96x64: 4 points down). So when the manifest lists `trainedSizes`, such a request is rendered
// at the nearest trained size and the decoded image resampled to the picked size, before the
// palette, watermark and encoder see it. Measured in docs/creative-controls.md.
import { loadSharp } from './lazy-sharp.js';

export interface Size {
  width: number;
  height: number;
}

/**
 * The trained size to render `size` at: the one whose aspect ratio is closest (log space) to
 * `ratio` — the ratio the job asked for (16:9 is 1.78 although its grid size 80x48 is 1.67; the
 * output is resampled to the grid size anyway) — with a tenth of the pixel-count distance
 * (log space) as the tie breaker: a ratio change distorts every shape, a pixel-count change only
 * rescales them. `size` itself when it is trained or the list is empty.
 */
export function nearestTrainedSize(size: Size, trained: readonly Size[] | undefined, ratio = size.width / size.height): Size {
  if (!trained?.length || trained.some((t) => t.width === size.width && t.height === size.height)) return size;
  const logRatio = Math.log(ratio);
  const pixels = Math.log(size.width * size.height);
  let best = trained[0];
  let bestError = Infinity;
  for (const t of trained) {
    const error = Math.abs(Math.log(t.width / t.height) - logRatio) + 0.1 * Math.abs(Math.log(t.width * t.height) - pixels);
    if (error < bestError - 1e-9) [best, bestError] = [t, error];
  }
  return { width: best.width, height: best.height };
}

/** RGB8 pixels resampled to another size (libvips, lanczos3, stretched to fill). */
export async function resampleRgb(rgb: Uint8Array, from: Size, to: Size): Promise<Uint8Array> {
  if (from.width === to.width && from.height === to.height) return rgb;
  const sharp = await loadSharp();
  const data = await sharp(rgb, { raw: { width: from.width, height: from.height, channels: 3 } })
    .resize(to.width, to.height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
