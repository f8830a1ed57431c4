// Palette lock after decode: every pixel becomes a palette color, or (on an edge between two
// palette regions, in "edges" mode) a blend of exactly two palette colors, so shapes keep their
// antialiasing without introducing any other hue. Runs on RGB8, so it is exact and costs one
// pass over the pixels.

export type Rgb = readonly [number, number, number];

/** How edges are treated: "hard" maps every pixel to its nearest palette color; "edges" keeps two-color blends on boundaries. */
export type PaletteEdges = 'hard' | 'edges';

/** "#rrggbb" → [r, g, b]; throws on anything else. */
export function parseHexColor(hex: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb color: ${hex}`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

const dist2 = (r: number, g: number, b: number, c: Rgb) => (r - c[0]) ** 2 + (g - c[1]) ** 2 + (b - c[2]) ** 2;

function nearestIndex(r: number, g: number, b: number, palette: readonly Rgb[]): number {
  let best = 0, bestD = Infinity;
  for (let k = 0; k < palette.length; k++) {
    const d = dist2(r, g, b, palette[k]);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/**
 * Maps RGB8 pixels (interleaved, width × height) onto the palette, in place of a copy.
 * In "edges" mode a pixel whose 4-neighbours map to another palette color than its own keeps
 * its position between the two colors (projected onto the segment joining them, so the result
 * is a blend of those two only); everywhere else it becomes its nearest palette color.
 */
export function lockToPalette(rgb: Uint8Array, width: number, height: number, palette: readonly Rgb[], edges: PaletteEdges = 'hard'): Uint8Array {
  if (palette.length === 0) throw new Error('palette must have at least one color');
  const n = width * height;
  const index = new Uint8Array(n);
  for (let p = 0; p < n; p++) index[p] = nearestIndex(rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], palette);
  const out = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const own = palette[index[p]];
    let color: readonly number[] = own;
    if (edges === 'edges') {
      const other = neighbourColor(index, p, width, height);
      if (other !== -1) color = blendOnSegment(rgb, p, own, palette[other]);
    }
    out[p * 3] = color[0];
    out[p * 3 + 1] = color[1];
    out[p * 3 + 2] = color[2];
  }
  return out;
}

/** Palette index of a 4-neighbour that differs from the pixel's own, or -1. */
function neighbourColor(index: Uint8Array, p: number, width: number, height: number): number {
  const x = p % width, y = (p - x) / width;
  if (x > 0 && index[p - 1] !== index[p]) return index[p - 1];
  if (x < width - 1 && index[p + 1] !== index[p]) return index[p + 1];
  if (y > 0 && index[p - width] !== index[p]) return index[p - width];
  if (y < height - 1 && index[p + width] !== index[p]) return index[p + width];
  return -1;
}

/** The point of segment a→b nearest to the pixel, rounded: a blend t·b + (1−t)·a with t in [0, ½]. */
function blendOnSegment(rgb: Uint8Array, p: number, a: Rgb, b: Rgb): number[] {
  const d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const len2 = d[0] ** 2 + d[1] ** 2 + d[2] ** 2;
  if (len2 === 0) return [...a];
  const t = ((rgb[p * 3] - a[0]) * d[0] + (rgb[p * 3 + 1] - a[1]) * d[1] + (rgb[p * 3 + 2] - a[2]) * d[2]) / len2;
  // the pixel is nearer its own color, so its share of the other color is at most a half
  const s = Math.min(0.5, Math.max(0, t));
  return [Math.round(a[0] + s * d[0]), Math.round(a[1] + s * d[1]), Math.round(a[2] + s * d[2])];
}

/**
 * Share of pixels within `tolerance` (Euclidean RGB distance) of some palette color — the
 * figure the palette-lock target is stated in.
 */
export function paletteCoverage(rgb: Uint8Array, palette: readonly Rgb[], tolerance: number): number {
  const n = rgb.length / 3;
  let inside = 0;
  for (let p = 0; p < n; p++) {
    const k = nearestIndex(rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], palette);
    if (dist2(rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], palette[k]) <= tolerance * tolerance) inside++;
  }
  return inside / n;
}

export { MAX_PALETTE_COLORS } from '@flowfarm/contracts/plain';

/** The request's palette applied to one decoded image (unchanged without a palette). */
export function applyRequestPalette(rgb: Uint8Array, width: number, height: number, r: { palette?: string[]; paletteEdges?: PaletteEdges }): Uint8Array {
  if (!r.palette?.length) return rgb;
  return lockToPalette(rgb, width, height, r.palette.map(parseHexColor), r.paletteEdges ?? 'hard');
}
