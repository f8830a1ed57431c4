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

const luma = (r: number, g: number, b: number) => 0.299 * r + 0.587 * g + 0.114 * b;

/** Largest distance left between a block's luma mean and its lattice point (the detector tolerates DELTA / 4). */
const MAX_RESIDUAL = 0.75;

/** Luma mean of the 8x8 block whose top-left pixel is at byte offset `start`. */
function blockMean(rgb: Uint8Array, width: number, start: number): number {
  let sum = 0;
  for (let y = 0; y < BLOCK; y++) {
    let p = start + y * width * 3;
    for (let x = 0; x < BLOCK; x++, p += 3) sum += luma(rgb[p], rgb[p + 1], rgb[p + 2]);
  }
  return sum / (BLOCK * BLOCK);
}

/**
 * Moves the block's luma mean to `target` by shifting its channels, in place. Channels already at
 * 0 or 255 cannot move further, so each round spreads the remaining shift over the channels that
 * can (weighted by their share of luma). Returns the luma mean reached.
 */
function shiftBlock(rgb: Uint8Array, width: number, start: number, target: number): number {
  const weights = [0.299, 0.587, 0.114];
  let current = blockMean(rgb, width, start);
  for (let round = 0; round < 8; round++) {
    const delta = target - current;
    if (Math.abs(delta) < 0.25) break;
    const up = delta > 0;
    let movable = 0;
    for (let y = 0; y < BLOCK; y++) {
      let p = start + y * width * 3;
      for (let x = 0; x < BLOCK; x++, p += 3) {
        for (let c = 0; c < 3; c++) if (up ? rgb[p + c] < 255 : rgb[p + c] > 0) movable += weights[c];
      }
    }
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

/**
 * Embeds a 32-bit payload into interleaved RGB8 pixels, in place. Images smaller than one
 * block in a direction are left alone. Returns the pixels for chaining.
 */
export function embedWatermark(rgb: Uint8Array, width: number, height: number, payload: number): Uint8Array {
  const bits = tileBits(payload >>> 0);
  const blocksX = Math.floor(width / BLOCK);
  const blocksY = Math.floor(height / BLOCK);
  const saved = new Uint8Array(BLOCK * BLOCK * 3);
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      const cell = (by % TILE) * TILE + (bx % TILE);
      const offset = DITHER[cell] + (bits[cell] ? DELTA / 2 : 0);
      const start = (by * BLOCK * width + bx * BLOCK) * 3;
      // The lattice points of this bit's coset, nearest first. A block whose pixels sit at pure
      // white or black may not reach the nearest one (a mostly-white block cannot get brighter):
      // then the next one in the other direction is used, so no bit is left wrong.
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

export const SYNC_BITS = SYNC;
export { crc16 };
