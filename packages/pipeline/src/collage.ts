/**
 * "Collage then refine": a layout render for models that draw some objects well only at one
 * size. Regional guidance (regional-guidance.ts) asks each object's row for the size of its box;
 * a model whose small shapes come out as the wrong class (tiny-shapes draws a small triangle as
 * a triangle 3 times in 24) then misses every small box however the rows are blended. Here each
 * object is instead rendered alone as a tile, at the model's largest size word (its strong case),
 * centred on the scene's background; the drawn object is found in its tile, cropped, scaled into
 * its box and pasted onto the background tile; the composite is then refined with
 * image-to-image at a low strength so it reads as one image. Everything here is pixels and
 * prompts: nothing depends on a model's weights.
 */
import { backgroundPhrase, objectRowPrompt, type RegionPromptHints } from './region-prompts.js';
import type { Box, PipelineLayout } from './regional-guidance.js';

/** Prompts of one layout image's tiles: the background first, then one per object at the largest size. */
export function collageTilePrompts(
  prompt: string,
  layout: PipelineLayout,
  ctx: { width: number; height: number; hints?: RegionPromptHints },
): string[] {
  const background = layout.background ?? backgroundPhrase(prompt);
  const sizes = ctx.hints?.sizes ?? [];
  const largest = sizes.reduce<(typeof sizes)[number] | undefined>((a, s) => (!a || s.halfExtent > a.halfExtent ? s : a), undefined);
  // a box as large as the largest word's extent, in the middle: objectRowPrompt then picks that word
  const h = largest ? largest.halfExtent * Math.min(ctx.width, ctx.height) : 0;
  const box: Box = largest
    ? [0.5 - h / ctx.width, 0.5 - h / ctx.height, 0.5 + h / ctx.width, 0.5 + h / ctx.height]
    : [0, 0, 1, 1];
  const objects = layout.objects.map((o) => objectRowPrompt(o.prompt, { box, width: ctx.width, height: ctx.height, background, hints: ctx.hints }));
  return [layout.background ?? background ?? prompt, ...objects];
}

/** Pixel rectangle [x0, y0, x1, y1), x1/y1 exclusive. */
export type PixelRect = [number, number, number, number];

/** Per-channel median of the image's outermost ring of pixels: the tile's background color. */
export function borderColor(rgb: Uint8Array, width: number, height: number): [number, number, number] {
  const ch: number[][] = [[], [], []];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y !== 0 && y !== height - 1 && x !== 0 && x !== width - 1) continue;
      for (let c = 0; c < 3; c++) ch[c].push(rgb[(y * width + x) * 3 + c]);
    }
  }
  return ch.map((v) => v.sort((a, b) => a - b)[v.length >> 1]) as [number, number, number];
}

/** Distance (RGB, 0…441) at which a pixel starts to count as object, and where it fully does. */
const EDGE_LO = 40;
const EDGE_HI = 90;
/**
 * A pasted object's coverage is steepened around one half by this factor: scaling a shape down
 * spreads its anti-aliased rim over more of the (smaller) shape, which reads as rounded corners
 * (a small square as a circle); 4 keeps a rim about as soft as the model's own small shapes.
 * Measured on tiny-shapes composites (eval:layout's cases, two case seeds, 720 objects):
 * objects placed with steepness 1 (none) 633, 2: 653, 4: 664.
 */
const EDGE_STEEPNESS = 4;
/** Samples per axis in each canvas pixel: a scaled-down object is area-averaged, not point-sampled. */
const SUPERSAMPLE = 3;

/** How much each pixel belongs to the object (0 background … 1 object), from its distance to `bg`. */
export function objectAlpha(rgb: Uint8Array, width: number, height: number, bg: readonly number[]): Float32Array {
  const a = new Float32Array(width * height);
  for (let i = 0; i < a.length; i++) {
    const d = Math.hypot(rgb[i * 3] - bg[0], rgb[i * 3 + 1] - bg[1], rgb[i * 3 + 2] - bg[2]);
    a[i] = Math.min(1, Math.max(0, (d - EDGE_LO) / (EDGE_HI - EDGE_LO)));
  }
  return a;
}

/**
 * The drawn object of a tile: the bounding rectangle of the connected non-background region
 * with the most pixels, weighted towards the centre (the object was asked for in the middle;
 * specks at the border are not it). Undefined when the tile is all background.
 */
export function findObject(alpha: Float32Array, width: number, height: number): PixelRect | undefined {
  const seen = new Uint8Array(width * height);
  let best: PixelRect | undefined, bestScore = 0;
  const cx = width / 2, cy = height / 2, r = Math.hypot(cx, cy);
  for (let s = 0; s < alpha.length; s++) {
    if (seen[s] || alpha[s] < 0.5) continue;
    const stack = [s];
    seen[s] = 1;
    let n = 0, sx = 0, sy = 0, x0 = width, y0 = height, x1 = 0, y1 = 0;
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % width, y = (p - x) / width;
      n++;
      sx += x;
      sy += y;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
      for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (!seen[q] && alpha[q] >= 0.5) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    const score = n * (1 - Math.hypot(sx / n + 0.5 - cx, sy / n + 0.5 - cy) / r);
    if (score > bestScore) [best, bestScore] = [[x0, y0, x1, y1], score];
  }
  return best;
}

/** The box in pixels of a width x height image (rounded to whole pixels, at least one). */
export function boxPixels(box: Box, width: number, height: number): PixelRect {
  const x0 = Math.round(box[0] * width), y0 = Math.round(box[1] * height);
  return [x0, y0, Math.max(x0 + 1, Math.round(box[2] * width)), Math.max(y0 + 1, Math.round(box[3] * height))];
}

/**
 * Scales the tile's `from` rectangle onto the canvas's `to` rectangle (bilinear), blending by
 * the object alpha so the tile's own background does not cover the canvas. In place.
 */
export function pasteObject(
  canvas: Uint8Array,
  tile: Uint8Array,
  alpha: Float32Array,
  width: number,
  height: number,
  from: PixelRect,
  to: PixelRect,
): void {
  const sx = (from[2] - from[0]) / (to[2] - to[0]), sy = (from[3] - from[1]) / (to[3] - to[1]);
  // one pixel of margin each side: the object's soft edge is sampled from the tile's border ring
  const ss = SUPERSAMPLE;
  for (let y = Math.max(0, to[1] - 1); y < Math.min(height, to[3] + 1); y++) {
    for (let x = Math.max(0, to[0] - 1); x < Math.min(width, to[2] + 1); x++) {
      let a = 0;
      const acc = [0, 0, 0];
      for (let j = 0; j < ss; j++) {
        const v = from[1] + (y + (j + 0.5) / ss - to[1]) * sy - 0.5;
        for (let i = 0; i < ss; i++) {
          const u = from[0] + (x + (i + 0.5) / ss - to[0]) * sx - 0.5;
          const s = bilinear(tile, alpha, width, height, u, v);
          a += s.a;
          for (let c = 0; c < 3; c++) acc[c] += s.a * s.rgb[c];
        }
      }
      const col = acc.map((v) => (a > 0 ? v / a : 0));
      a /= ss * ss;
      a = Math.min(1, Math.max(0, (a - 0.5) * EDGE_STEEPNESS + 0.5));
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) canvas[o + c] = Math.round(a * col[c] + (1 - a) * canvas[o + c]);
    }
  }
}

/** Alpha-weighted bilinear sample: color of the object part of the neighbourhood, and its alpha. */
function bilinear(rgb: Uint8Array, alpha: Float32Array, width: number, height: number, u: number, v: number) {
  const xa = Math.floor(u), ya = Math.floor(v), fx = u - xa, fy = v - ya;
  const acc = [0, 0, 0];
  let a = 0;
  for (const [dx, dy, w] of [[0, 0, (1 - fx) * (1 - fy)], [1, 0, fx * (1 - fy)], [0, 1, (1 - fx) * fy], [1, 1, fx * fy]]) {
    const x = Math.min(width - 1, Math.max(0, xa + dx)), y = Math.min(height - 1, Math.max(0, ya + dy));
    const i = y * width + x, wa = w * alpha[i];
    a += wa;
    for (let c = 0; c < 3; c++) acc[c] += wa * rgb[i * 3 + c];
  }
  return { a, rgb: a > 0 ? acc.map((s) => s / a) : acc };
}

/**
 * One layout image from its tiles (RGB8, all width x height): the background tile with every
 * object tile's drawn object scaled into its box, in layout order (later objects on top). An
 * object tile whose object cannot be found pastes nothing.
 */
export function composeCollage(background: Uint8Array, tiles: readonly Uint8Array[], layout: PipelineLayout, width: number, height: number): Uint8Array {
  const canvas = Uint8Array.from(background);
  layout.objects.forEach((obj, k) => {
    const tile = tiles[k];
    const alpha = objectAlpha(tile, width, height, borderColor(tile, width, height));
    const from = findObject(alpha, width, height);
    if (from) pasteObject(canvas, tile, alpha, width, height, from, boxPixels(obj.box, width, height));
  });
  return canvas;
}
