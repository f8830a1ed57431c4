// The block watermark's embedding as first written (commit e9d926e), kept verbatim as the
// reference the optimized `embedWatermark` must match byte for byte. Tests and bench/trust.ts
// use it; nothing in the farm does. The only additions are the `referencePaths` counters, so
// the equivalence test can show its scenes reach the rarer branches (more rounds; rounds with
// channels stuck at 0 or 255).
// Never seen to run: `movable === 0` (a block all at 255 has a mean above every target, at most
// 254; one all at 0 below every target) and the fallback to a second lattice point with its
// restore (4.7 million random blocks with stuck channels and targets near their mean all reached
// the first one within the 8 rounds). Both are kept, in both versions, as written.
import { BLOCK, DELTA, DITHER, TILE, tileBits } from '../watermark/block-watermark.js';

/** How often each rarer path ran since the last reset (see `resetReferencePaths`). */
export const referencePaths = { blocks: 0, extraRounds: 0, clippedRounds: 0 };
export function resetReferencePaths(): void {
  for (const key of Object.keys(referencePaths) as (keyof typeof referencePaths)[]) referencePaths[key] = 0;
}

const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

const MAX_RESIDUAL = 0.75;

function blockMean(rgb: Uint8Array, width: number, start: number): number {
  let sum = 0;
  for (let y = 0; y < BLOCK; y++) {
    let p = start + y * width * 3;
    for (let x = 0; x < BLOCK; x++, p += 3) sum += luma(rgb[p], rgb[p + 1], rgb[p + 2]);
  }
  return sum / (BLOCK * BLOCK);
}

function shiftBlock(rgb: Uint8Array, width: number, start: number, target: number): number {
  const weights = [0.299, 0.587, 0.114];
  let current = blockMean(rgb, width, start);
  for (let round = 0; round < 8; round++) {
    const delta = target - current;
    if (Math.abs(delta) < 0.25) break;
    if (round > 0) referencePaths.extraRounds++;
    const up = delta > 0;
    let movable = 0;
    for (let y = 0; y < BLOCK; y++) {
      let p = start + y * width * 3;
      for (let x = 0; x < BLOCK; x++, p += 3) {
        for (let c = 0; c < 3; c++) if (up ? rgb[p + c] < 255 : rgb[p + c] > 0) movable += weights[c];
      }
    }
    if (movable < 63.9) referencePaths.clippedRounds++; // not every channel can move
    if (movable === 0) break;
    const step = (delta * BLOCK * BLOCK) / movable;
    for (let y = 0; y < BLOCK; y++) {
      let p = start + y * width * 3;
      for (let x = 0; x < BLOCK; x++, p += 3) {
        for (let c = 0; c < 3; c++) {
          const v = rgb[p + c] + step;
          rgb[p + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        }
      }
    }
    current = blockMean(rgb, width, start);
  }
  return current;
}

/** The original `embedWatermark`: in place, returns the pixels. */
export function embedWatermarkReference(rgb: Uint8Array, width: number, height: number, payload: number): Uint8Array {
  const bits = tileBits(payload >>> 0);
  const blocksX = Math.floor(width / BLOCK);
  const blocksY = Math.floor(height / BLOCK);
  const saved = new Uint8Array(BLOCK * BLOCK * 3);
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      referencePaths.blocks++;
      const cell = (by % TILE) * TILE + (bx % TILE);
      const offset = DITHER[cell] + (bits[cell] ? DELTA / 2 : 0);
      const start = (by * BLOCK * width + bx * BLOCK) * 3;
      const mean = blockMean(rgb, width, start);
      const nearest = Math.round((mean - offset) / DELTA) * DELTA + offset;
      const candidates = [nearest, nearest - DELTA, nearest + DELTA]
        .filter((t) => t >= 1 && t <= 254)
        .sort((a, b) => Math.abs(a - mean) - Math.abs(b - mean));
      for (let y = 0; y < BLOCK; y++) saved.set(rgb.subarray(start + y * width * 3, start + (y * width + BLOCK) * 3), y * BLOCK * 3);
      for (const target of candidates) {
        if (Math.abs(shiftBlock(rgb, width, start, target) - target) <= MAX_RESIDUAL) break;
        for (let y = 0; y < BLOCK; y++) rgb.set(saved.subarray(y * BLOCK * 3, (y + 1) * BLOCK * 3), start + y * width * 3);
      }
    }
  }
  return rgb;
}
