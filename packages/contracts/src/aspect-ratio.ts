import { z } from 'zod';

/** Aspect ratios a job may name (BFL's ultra API accepts the same strings). */
export const ASPECT_RATIOS = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '21:9', '9:21'] as const;
export const AspectRatio = z.enum(ASPECT_RATIOS);
export type AspectRatio = z.infer<typeof AspectRatio>;

/** How many times the base pixel count `ultra: true` renders. */
export const ULTRA_PIXEL_FACTOR = 4;

export interface SizeLimits {
  resolution: { min: number; max: number; multiple: number };
  /** the size whose pixel count aspect ratios keep */
  base: { width: number; height: number };
  /** most pixels (width × height) the model may render */
  maxPixels: number;
}

/**
 * The size for an aspect ratio near the base pixel count (times ULTRA_PIXEL_FACTOR with ultra):
 * among the sides the model allows (multiples of `multiple` in [min, max]) with at most the
 * target pixels and at most maxPixels, the pair whose ratio is closest to the asked one (in log
 * space), then the one with most pixels. Returns null when no allowed size fits.
 */
export function sizeForAspectRatio(ratio: AspectRatio, ultra: boolean, limits: SizeLimits): { width: number; height: number } | null {
  const [a, b] = ratio.split(':').map(Number);
  const target = Math.min(limits.base.width * limits.base.height * (ultra ? ULTRA_PIXEL_FACTOR : 1), limits.maxPixels);
  const { min, max, multiple } = limits.resolution;
  const first = Math.ceil(min / multiple) * multiple;
  let best: { width: number; height: number; error: number; pixels: number } | null = null;
  for (let width = first; width <= max; width += multiple) {
    for (let height = first; height <= max; height += multiple) {
      const pixels = width * height;
      // within 12.5% over the target counts as "near": rounding to the grid may need it
      if (pixels > target * 1.125 || pixels > limits.maxPixels) continue;
      const error = Math.abs(Math.log(width / height) - Math.log(a / b)) + Math.abs(Math.log(pixels / target)) * 0.5;
      if (!best || error < best.error - 1e-9 || (Math.abs(error - best.error) <= 1e-9 && pixels > best.pixels)) best = { width, height, error, pixels };
    }
  }
  return best && { width: best.width, height: best.height };
}
