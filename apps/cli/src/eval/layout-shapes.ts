import { analyzeImage, mean, regions } from './analyze.js';
import type { Domain } from './domain.js';

/** [x0, y0, x1, y1] as fractions of the image. */
export type FractionBox = [number, number, number, number];

/** One shape found in a multi-shape image. */
export interface FoundShape {
  color: string | null;
  shape: string | null;
  box: FractionBox;
  pixels: number;
}

type Rgb = readonly [number, number, number];
const dist2 = (a: Rgb, b: Rgb) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2;

/** Smallest region counted as a shape, as a share of the image (a small shape is ~2.4 %). */
const MIN_SHAPE_SHARE = 0.004;

/**
 * Every shape in an image with several: the background as the analyzer measures it, then each
 * 4-connected region far from it. Each region is painted alone onto the background and read by
 * the one-shape analyzer, so color and class are judged exactly as in `eval:adherence`.
 */
export function findShapes(rgb: Uint8Array, width: number, height: number, domain: Domain): { background: string; shapes: FoundShape[] } {
  const { background } = analyzeImage(rgb, width, height, domain);
  const palette = Object.entries(domain.colors) as [string, Rgb][];
  const bgPalette = domain.colors[background] as Rgb;
  const px = (i: number): Rgb => [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];
  // the measured background: mean of border pixels nearest to the background's palette color
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(x, (height - 1) * width + x);
  for (let y = 1; y < height - 1; y++) border.push(y * width, y * width + width - 1);
  const bgPixels = border.filter((i) => nearestName(palette, px(i)) === background).map(px);
  const bg: Rgb = bgPixels.length ? mean(bgPixels) : bgPalette;
  const neighbour = Math.min(...palette.filter(([n]) => n !== background).map(([, c]) => dist2(c, bgPalette)));
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = dist2(px(i), bg) > neighbour / 4 ? 1 : 0;

  const shapes: FoundShape[] = [];
  for (const region of regions(mask, width, height)) {
    if (region.length < MIN_SHAPE_SHARE * width * height) continue;
    const alone = new Uint8Array(rgb.length);
    for (let i = 0; i < width * height; i++) alone.set(bg.map(Math.round), i * 3);
    let minX = width, maxX = 0, minY = height, maxY = 0;
    for (const i of region) {
      alone.set(px(i), i * 3);
      const x = i % width, y = (i - x) / width;
      minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
    const a = analyzeImage(alone, width, height, domain);
    shapes.push({ color: a.color, shape: a.shape, pixels: region.length, box: [minX / width, minY / height, (maxX + 1) / width, (maxY + 1) / height] });
  }
  return { background, shapes };
}

export function boxIoU(a: FractionBox, b: FractionBox): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const area = (r: FractionBox) => (r[2] - r[0]) * (r[3] - r[1]);
  return inter === 0 ? 0 : inter / (area(a) + area(b) - inter);
}

function nearestName(palette: [string, Rgb][], c: Rgb): string {
  let best = palette[0][0], bestD = Infinity;
  for (const [name, p] of palette) {
    const d = dist2(p, c);
    if (d < bestD) [best, bestD] = [name, d];
  }
  return best;
}
