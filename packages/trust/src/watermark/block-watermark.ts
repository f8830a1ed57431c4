// An invisible watermark carried by the mean brightness of 8x8-pixel blocks — the DC term of a
// block DCT, the coefficient JPEG quantizes most gently and that survives resizing best.
// Each block's luma mean is moved to the nearest point of one of two interleaved lattices
// (quantization index modulation, step DELTA, with a per-block dither), which encodes one bit.
// 8x8 blocks form a 64-bit tile (16 sync bits, 32 payload bits, CRC-16) repeated over the whole
// image, so a crop still holds whole tiles, and the detector finds the grid again by trying
// every pixel offset, tile rotation and a few scales. The math is DWT-DCT-like in spirit (as
// imwatermark's dwtDct that FLUX's reference code uses) but written for the farm's small images.

/** Block side in pixels. */
export const BLOCK = 8;
/** Blocks per tile side: a tile holds TILE*TILE bits and covers 64x64 pixels. */
export const TILE = 8;
/** QIM lattice step in luma levels: larger is more robust and more visible (PSNR ≈ 10·log10(255²·12/DELTA²)). */
export const DELTA = 6;
export const WATERMARK_SCHEME = 'flowfarm-blockdc/1';

const SYNC = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0];
const PAYLOAD_BITS = 32;

/** Fixed, public dither per tile position (so the grid is not a plain lattice on flat areas). */
export const DITHER = (() => {
  const out = new Float64Array(TILE * TILE);
  let s = 0x9e3779b9;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x297a2d39) >>> 0;
    out[i] = (s / 2 ** 32) * DELTA;
  }
  return out;
})();

function crc16(bits: number[]): number {
  let crc = 0xffff;
  for (const bit of bits) {
    const top = ((crc >> 15) & 1) ^ bit;
    crc = (crc << 1) & 0xffff;
    if (top) crc ^= 0x1021;
  }
  return crc;
}

/** The 64 tile bits for a 32-bit payload: sync, payload (MSB first), CRC-16 of the payload. */
export function tileBits(payload: number): number[] {
  const data = Array.from({ length: PAYLOAD_BITS }, (_, i) => (payload >>> (PAYLOAD_BITS - 1 - i)) & 1);
  const crc = crc16(data);
  const check = Array.from({ length: 16 }, (_, i) => (crc >> (15 - i)) & 1);
  return [...SYNC, ...data, ...check];
}

/** Largest distance left between a block's luma mean and its lattice point (the detector tolerates DELTA / 4). */
const MAX_RESIDUAL = 0.75;

// Embedding runs in the worker's render thread for every image, so the per-block work below is
// written as a few flat passes over the block's 192 bytes, allocating nothing per block. Its output must
// stay byte-identical to the first version (src/testing/block-watermark-reference.ts, held to
// it by block-watermark.test.ts): every floating-point sum is formed from the same terms in the
// same order, only in fewer passes — a pass that moves the pixels also measures the result.

/** Luma weight of each channel; the movable weight of a block adds these in pixel order. */
const WEIGHT_R = 0.299;
const WEIGHT_G = 0.587;
const WEIGHT_B = 0.114;

/**
 * The movable weight of a block none of whose channels is at the limit: the same 192 additions
 * as `movableWeight` makes then, done once (float addition is not associative, so it is not 64·1).
 */
const ALL_MOVABLE = (() => {
  let sum = 0;
  for (let i = 0; i < BLOCK * BLOCK; i++) {
    sum += WEIGHT_R;
    sum += WEIGHT_G;
    sum += WEIGHT_B;
  }
  return sum;
})();

/**
 * What a pass learns about a block: [luma mean, 1 if a channel is at 0, 1 if a channel is at 255].
 * The flags say whether a movable weight must be counted (`movableWeight`) or is `ALL_MOVABLE`.
 */
type BlockStats = Float64Array;

/** Measures the 8x8 block at byte offset `start` into `stats`. */
function readBlock(rgb: Uint8Array, stride: number, start: number, stats: BlockStats): void {
  let sum = 0;
  let low = 0;
  let high = 0;
  for (let y = 0; y < BLOCK; y++) {
    for (let p = start + y * stride, end = p + BLOCK * 3; p < end; p += 3) {
      const r = rgb[p];
      const g = rgb[p + 1];
      const b = rgb[p + 2];
      sum += WEIGHT_R * r + WEIGHT_G * g + WEIGHT_B * b;
      // x - 1 is negative only for x = 0, x + 1 has bit 8 set only for x = 255
      low |= (r - 1) | (g - 1) | (b - 1);
      high |= (r + 1) | (g + 1) | (b + 1);
    }
  }
  stats[0] = sum / (BLOCK * BLOCK);
  stats[1] = low < 0 ? 1 : 0;
  stats[2] = high & 256 ? 1 : 0;
}

/**
 * The integer n such that every channel x moved by `step` (x + step, clamped to 0..255, then
 * Math.round) becomes exactly x + n clamped to 0..255, or null when only the float sum says.
 * n is Math.round(step) whenever step is more than 2^-20 away from a half-integer: x + step then
 * lies that far inside (x + n - 0.5, x + n + 0.5), and for |step| < 2^20 its float sum is off by
 * at most 2^-33, so the clamps and Math.round agree with the integer sum. (step - n is exact by
 * Sterbenz's lemma.) Moves of integer pixels by a mean's residual almost never come that close.
 */
export function integerShift(step: number): number | null {
  const n = Math.round(step);
  return Math.abs(step) < 2 ** 20 && 0.5 - Math.abs(step - n) > 2 ** -20 ? n : null;
}

/**
 * Adds `step` to every channel of the block (clamped to 0..255, rounded), then measures the result
 * into `stats`. Returns whether any byte changed.
 */
function moveBlock(rgb: Uint8Array, stride: number, start: number, step: number, stats: BlockStats): boolean {
  // a step that provably rounds to no move changes nothing: the block and its stats stay as they are
  // (one loop for every other step: a second, integer-only copy saved 0.017 ms per 64x64 image)
  if (integerShift(step) === 0) return false;
  let sum = 0;
  let low = 0;
  let high = 0;
  let changed = 0;
  for (let y = 0; y < BLOCK; y++) {
    for (let p = start + y * stride, end = p + BLOCK * 3; p < end; p += 3) {
      const r0 = rgb[p];
      const g0 = rgb[p + 1];
      const b0 = rgb[p + 2];
      let v = r0 + step;
      const r = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      v = g0 + step;
      const g = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      v = b0 + step;
      const b = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      changed |= (r ^ r0) | (g ^ g0) | (b ^ b0);
      rgb[p] = r;
      rgb[p + 1] = g;
      rgb[p + 2] = b;
      sum += WEIGHT_R * r + WEIGHT_G * g + WEIGHT_B * b;
      low |= (r - 1) | (g - 1) | (b - 1);
      high |= (r + 1) | (g + 1) | (b + 1);
    }
  }
  stats[0] = sum / (BLOCK * BLOCK);
  stats[1] = low < 0 ? 1 : 0;
  stats[2] = high & 256 ? 1 : 0;
  return changed !== 0;
}

/**
 * The summed luma weight of the block's channels that can still move up (below 255) or down
 * (above 0), added in pixel order; a channel that cannot move adds 0, which leaves the sum as
 * skipping it would (and spares a mispredicted branch per channel). Only needed for blocks with
 * a channel at the limit.
 */
function movableWeight(rgb: Uint8Array, stride: number, start: number, up: boolean): number {
  // moving up, a channel is stuck at 255; moving down, at 0
  const stuck = up ? 255 : 0;
  let movable = 0;
  for (let y = 0; y < BLOCK; y++) {
    for (let p = start + y * stride, end = p + BLOCK * 3; p < end; p += 3) {
      movable += rgb[p] !== stuck ? WEIGHT_R : 0;
      movable += rgb[p + 1] !== stuck ? WEIGHT_G : 0;
      movable += rgb[p + 2] !== stuck ? WEIGHT_B : 0;
    }
  }
  return movable;
}

/**
 * Moves the block's luma mean to `target` by shifting its channels, in place, starting from the
 * block measured in `initial`. Channels already at 0 or 255 cannot move further, so each round
 * spreads the remaining shift over the channels that can (weighted by their share of luma).
 * Returns the luma mean reached.
 */
function shiftBlock(rgb: Uint8Array, stride: number, start: number, target: number, initial: BlockStats, stats: BlockStats): number {
  let current = initial[0];
  let atZero = initial[1];
  let at255 = initial[2];
  for (let round = 0; round < 8; round++) {
    const delta = target - current;
    if (Math.abs(delta) < 0.25) break;
    const up = delta > 0;
    const movable = (up ? at255 : atZero) ? movableWeight(rgb, stride, start, up) : ALL_MOVABLE;
    if (movable === 0) break;
    // A round that moves no byte leaves the block, its mean and so the next round's step exactly
    // as they were: every round left would repeat it, so stop. (Blocks of integer pixels left a
    // fraction of a level from their target — most blocks — used to spin through all 8 rounds.)
    if (!moveBlock(rgb, stride, start, (delta * BLOCK * BLOCK) / movable, stats)) break;
    current = stats[0];
    atZero = stats[1];
    at255 = stats[2];
  }
  return current;
}

/** Puts back the block at byte offset `start` from `band`, a copy of its 8 image rows. */
function restoreBlock(rgb: Uint8Array, stride: number, start: number, band: Uint8Array, bandStart: number): void {
  for (let y = 0; y < BLOCK; y++) {
    const from = (start - bandStart) + y * stride;
    rgb.set(band.subarray(from, from + BLOCK * 3), start + y * stride);
  }
}

/**
 * Writes into `out` the lattice points of the coset at `offset` to try for a block of luma
 * `mean`, nearest first, and returns how many there are: the nearest one and its two neighbours,
 * those inside 1..254. Ties keep the order nearest, below, above (a stable sort's order).
 */
function latticeTargets(mean: number, offset: number, out: Float64Array): number {
  const nearest = Math.round((mean - offset) / DELTA) * DELTA + offset;
  let n = insertTarget(out, 0, nearest, mean);
  n = insertTarget(out, n, nearest - DELTA, mean);
  return insertTarget(out, n, nearest + DELTA, mean);
}

/** Insertion sort step by distance to `mean`; the strict comparison keeps equal distances in arrival order. */
function insertTarget(out: Float64Array, n: number, target: number, mean: number): number {
  if (!(target >= 1 && target <= 254)) return n;
  let i = n;
  while (i > 0 && Math.abs(out[i - 1] - mean) > Math.abs(target - mean)) {
    out[i] = out[i - 1];
    i--;
  }
  out[i] = target;
  return n + 1;
}

/**
 * Embeds a 32-bit payload into interleaved RGB8 pixels, in place. Images smaller than one
 * block in a direction are left alone. Returns the pixels for chaining.
 */
export function embedWatermark(rgb: Uint8Array, width: number, height: number, payload: number): Uint8Array {
  const bits = tileBits(payload >>> 0);
  // the lattice offset of each tile cell for this payload: the cell's dither, plus half a step for a 1
  const offsets = new Float64Array(TILE * TILE);
  for (let cell = 0; cell < offsets.length; cell++) offsets[cell] = DITHER[cell] + (bits[cell] ? DELTA / 2 : 0);
  const blocksX = Math.floor(width / BLOCK);
  const blocksY = Math.floor(height / BLOCK);
  const stride = width * 3;
  // Each block row's 8 image rows as they were before any block in it moved: one copy per row
  // of blocks, read back only for the rare block that cannot reach any of its lattice points.
  const band = new Uint8Array(BLOCK * stride);
  const initial: BlockStats = new Float64Array(3);
  const stats: BlockStats = new Float64Array(3);
  const targets = new Float64Array(3);
  for (let by = 0; by < blocksY; by++) {
    const bandStart = by * BLOCK * stride;
    band.set(rgb.subarray(bandStart, bandStart + band.length));
    for (let bx = 0; bx < blocksX; bx++) {
      const start = bandStart + bx * BLOCK * 3;
      readBlock(rgb, stride, start, initial);
      // The lattice points of this bit's coset, nearest first. A block whose pixels sit at pure
      // white or black may not reach the nearest one (a mostly-white block cannot get brighter):
      // then the next one in the other direction is used, so no bit is left wrong.
      const count = latticeTargets(initial[0], offsets[(by % TILE) * TILE + (bx % TILE)], targets);
      for (let k = 0; k < count; k++) {
        const target = targets[k];
        if (Math.abs(shiftBlock(rgb, stride, start, target, initial, stats) - target) <= MAX_RESIDUAL) break;
        restoreBlock(rgb, stride, start, band, bandStart);
      }
    }
  }
  return rgb;
}

export const SYNC_BITS = SYNC;
export { crc16 };
