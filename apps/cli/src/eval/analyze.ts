import type { Domain } from './domain.js';

/**
 * Deterministic reading of a one-shape image:
 * - background: most common nearest-palette color of the border pixels;
 * - shape: the largest 4-connected region of pixels closer to another palette color than
 *   to the measured background (half way between the background and its nearest neighbour);
 * - color: nearest palette color to the mean of the region's interior pixels;
 * - position: region centroid, nearest of the domain's positions;
 * - class: fill ratio of the region's bounding box (square 1, circle π/4, triangle 1/2);
 * - size: bounding-box half-extent relative to min(W,H), nearest of the domain's sizes.
 */
export interface Analysis {
  background: string;
  color: string | null;
  position: string | null;
  shape: string | null;
  size: string | null;
  /** pixels in the shape region */
  pixels: number;
  fill: number;
  halfExtent: number;
  centroid: [number, number];
}

const FILL_RATIOS: Record<string, number> = { square: 1, circle: Math.PI / 4, triangle: 0.5 };
const MIN_SHAPE_PIXELS = 6;

type Rgb = readonly [number, number, number];
const dist2 = (a: Rgb, b: Rgb) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2;

function nearest<T>(entries: [string, T][], score: (v: T) => number): string {
  let best = entries[0][0], bestScore = Infinity;
  for (const [name, v] of entries) {
    const s = score(v);
    if (s < bestScore) [best, bestScore] = [name, s];
  }
  return best;
}

interface Background {
  background: string;
  /** 1 where a pixel is far from the measured background */
  mask: Uint8Array;
  px: (i: number) => Rgb;
  colorOf: (c: Rgb) => string;
}

function readBackground(rgb: Uint8Array, width: number, height: number, domain: Domain): Background {
  const palette = Object.entries(domain.colors) as [string, Rgb][];
  const px = (i: number): Rgb => [rgb[i * 3], rgb[i * 3 + 1], rgb[i * 3 + 2]];
  const colorOf = (c: Rgb) => nearest(palette, (p) => dist2(p, c));

  // Background: vote of the border pixels, then their mean as the measured background color.
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(x, (height - 1) * width + x);
  for (let y = 1; y < height - 1; y++) border.push(y * width, y * width + width - 1);
  const votes = new Map<string, number[]>();
  for (const i of border) {
    const name = colorOf(px(i));
    const list = votes.get(name) ?? [];
    list.push(i);
    votes.set(name, list);
  }
  const [background, bgPixels] = [...votes.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1))[0];
  const bg = mean(bgPixels.map(px));
  const bgPalette = domain.colors[background] as Rgb;
  const neighbour = Math.min(...palette.filter(([n]) => n !== background).map(([, c]) => dist2(c, bgPalette)));
  const threshold = neighbour / 4; // (half the distance)^2

  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = dist2(px(i), bg) > threshold ? 1 : 0;
  return { background, mask, px, colorOf };
}

/** A region of the shape mask read as one shape. */
export interface ShapeReading {
  color: string;
  position: string;
  shape: string | null;
  size: string;
  pixels: number;
  fill: number;
  halfExtent: number;
  centroid: [number, number];
}

function readRegion(region: number[], width: number, height: number, domain: Domain, bg: Background): ShapeReading {
  const inRegion = new Uint8Array(width * height);
  for (const i of region) inRegion[i] = 1;
  let minX = width, maxX = 0, minY = height, maxY = 0, sx = 0, sy = 0;
  const interior: Rgb[] = [];
  for (const i of region) {
    const x = i % width, y = (i - x) / width;
    minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    sx += x + 0.5; sy += y + 0.5;
    const inside = x > 0 && y > 0 && x < width - 1 && y < height - 1 &&
      inRegion[i - 1] && inRegion[i + 1] && inRegion[i - width] && inRegion[i + width];
    if (inside) interior.push(bg.px(i));
  }
  const bw = maxX - minX + 1, bh = maxY - minY + 1;
  const fill = region.length / (bw * bh);
  const halfExtent = Math.max(bw, bh) / 2 / Math.min(width, height);
  const centroid: [number, number] = [sx / region.length / width, sy / region.length / height];
  const shapes = domain.shapes.filter((s) => s in FILL_RATIOS).map((s): [string, number] => [s, FILL_RATIOS[s]]);
  return {
    color: bg.colorOf(mean(interior.length ? interior : region.map(bg.px))),
    position: nearest(Object.entries(domain.positions), ([fx, fy]) => (fx - centroid[0]) ** 2 + (fy - centroid[1]) ** 2),
    shape: shapes.length ? nearest(shapes, (r) => Math.abs(r - fill)) : null,
    size: nearest(Object.entries(domain.sizes), (s) => Math.abs(s - halfExtent)),
    pixels: region.length,
    fill,
    halfExtent,
    centroid,
  };
}

export function analyzeImage(rgb: Uint8Array, width: number, height: number, domain: Domain): Analysis {
  const bg = readBackground(rgb, width, height, domain);
  const region = largestRegion(bg.mask, width, height);
  const none: Analysis = {
    background: bg.background, color: null, position: null, shape: null, size: null, pixels: region.length, fill: 0, halfExtent: 0, centroid: [0, 0],
  };
  if (region.length < MIN_SHAPE_PIXELS) return none;
  return { background: bg.background, ...readRegion(region, width, height, domain, bg) };
}

/**
 * Every shape of an image: the background as analyzeImage reads it, then each 4-connected
 * region far from it of at least 6 pixels per 64x64 (specks smaller than that are not shapes).
 */
export function analyzeShapes(rgb: Uint8Array, width: number, height: number, domain: Domain): { background: string; shapes: ShapeReading[] } {
  const bg = readBackground(rgb, width, height, domain);
  const minPixels = Math.max(MIN_SHAPE_PIXELS, Math.round((MIN_SHAPE_PIXELS * width * height) / 4096));
  const shapes = regions(bg.mask, width, height).filter((r) => r.length >= minPixels).map((r) => readRegion(r, width, height, domain, bg));
  return { background: bg.background, shapes };
}

export function mean(pixels: Rgb[]): Rgb {
  const s = [0, 0, 0];
  for (const p of pixels) for (let c = 0; c < 3; c++) s[c] += p[c];
  return [s[0] / pixels.length, s[1] / pixels.length, s[2] / pixels.length];
}

/** Pixel indices of the largest 4-connected region of mask == 1. */
function largestRegion(mask: Uint8Array, width: number, height: number): number[] {
  let best: number[] = [];
  for (const r of regions(mask, width, height)) if (r.length > best.length) best = r;
  return best;
}

/** Every 4-connected region of mask == 1, each as sorted pixel indices, in scan order of their first pixel. */
export function regions(mask: Uint8Array, width: number, height: number): number[][] {
  const seen = new Uint8Array(mask.length);
  const out: number[][] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    const region: number[] = [];
    const stack = [start];
    seen[start] = 1;
    while (stack.length) {
      const i = stack.pop()!;
      region.push(i);
      const x = i % width, y = (i - x) / width;
      const next = [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, y > 0 ? i - width : -1, y < height - 1 ? i + width : -1];
      for (const j of next) {
        if (j >= 0 && mask[j] && !seen[j]) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    out.push(region.sort((a, b) => a - b));
  }
  return out;
}
