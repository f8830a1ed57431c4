import { BLOCK, DELTA, DITHER, SYNC_BITS, TILE, WATERMARK_SCHEME, crc16 } from './block-watermark.js';

export interface WatermarkDetection {
  found: boolean;
  scheme: typeof WATERMARK_SCHEME;
  /** the 32-bit payload as 8 hex digits (also when not found: the best guess) */
  payload: string;
  /** sync bits that matched, 0–1 (0.5 is chance) */
  syncMatch: number;
  /** the scale the image seemed to have been resized by (1 = original size) */
  scale: number;
  /** the 64 decoded tile bits (sync, payload, CRC) */
  bits: number[];
}

/** Scales tried, most likely first: original size, then the usual resizes. */
const SCALES = [1, 0.5, 0.75, 2, 1.5, 0.25];

/** Luma plane resampled (bilinear) so that `scale` is undone; scale 1 is a plain copy. */
function lumaAtScale(rgb: Uint8Array, width: number, height: number, scale: number): { y: Float64Array; w: number; h: number } {
  const base = new Float64Array(width * height);
  for (let i = 0, p = 0; i < base.length; i++, p += 3) base[i] = 0.299 * rgb[p] + 0.587 * rgb[p + 1] + 0.114 * rgb[p + 2];
  if (scale === 1) return { y: base, w: width, h: height };
  const w = Math.round(width / scale);
  const h = Math.round(height / scale);
  const out = new Float64Array(w * h);
  const sx = width / w;
  const sy = height / h;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(height - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(width - 1, x0 + 1);
      const tx = fx - x0;
      const top = base[y0 * width + x0] * (1 - tx) + base[y0 * width + x1] * tx;
      const bottom = base[y1 * width + x0] * (1 - tx) + base[y1 * width + x1] * tx;
      out[y * w + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return { y: out, w, h };
}

/** Summed-area table with a zero first row and column. */
function integral(y: Float64Array, w: number, h: number): Float64Array {
  const sat = new Float64Array((w + 1) * (h + 1));
  for (let r = 0; r < h; r++) {
    let row = 0;
    for (let c = 0; c < w; c++) {
      row += y[r * w + c];
      sat[(r + 1) * (w + 1) + c + 1] = sat[r * (w + 1) + c + 1] + row;
    }
  }
  return sat;
}

/**
 * Looks for the watermark in interleaved RGB8 pixels (any size, possibly cropped, resized or
 * recompressed). `found` needs the sync pattern and the payload's CRC to agree.
 */
export function detectWatermark(rgb: Uint8Array, width: number, height: number): WatermarkDetection {
  let best: WatermarkDetection | null = null;
  for (const scale of SCALES) {
    const { y, w, h } = lumaAtScale(rgb, width, height, scale);
    if (w < BLOCK * 2 || h < BLOCK * 2) continue;
    const sat = integral(y, w, h);
    const result = bestAlignment(sat, w, h, scale);
    if (result && (!best || score(result) > score(best))) best = result;
    if (best?.found) break;
  }
  return best ?? { found: false, scheme: WATERMARK_SCHEME, payload: '00000000', syncMatch: 0, scale: 1, bits: [] };
}

const score = (d: WatermarkDetection) => (d.found ? 2 : 0) + d.syncMatch;

function bestAlignment(sat: Float64Array, w: number, h: number, scale: number): WatermarkDetection | null {
  const stride = w + 1;
  const area = BLOCK * BLOCK;
  const cells = TILE * TILE;
  // The strongest sync overall, and the strongest alignment whose bits also pass the CRC. On a
  // flat, near-white image an alignment a few pixels off (one block row or column short, so
  // some cells read 0) can score a hair above the true one; strength alone then hid a
  // watermark that decodes perfectly at its true alignment.
  let best: { detection: WatermarkDetection; strength: number } | null = null;
  let bestFound: { detection: WatermarkDetection; strength: number } | null = null;
  // softBit(mean, cell) = cos(θ − φ_cell) with θ = 2π·mean/Δ and φ the cell's dither phase:
  // summing (cos θ, sin θ) per grid cell once makes every tile rotation cheap to score.
  const ditherCos = Float64Array.from({ length: cells }, (_, i) => Math.cos((2 * Math.PI * DITHER[i]) / DELTA));
  const ditherSin = Float64Array.from({ length: cells }, (_, i) => Math.sin((2 * Math.PI * DITHER[i]) / DELTA));
  const sumCos = new Float64Array(cells);
  const sumSin = new Float64Array(cells);
  const soft = new Float64Array(cells);
  for (let oy = 0; oy < BLOCK; oy++) {
    for (let ox = 0; ox < BLOCK; ox++) {
      const blocksX = Math.floor((w - ox) / BLOCK);
      const blocksY = Math.floor((h - oy) / BLOCK);
      if (blocksX < 1 || blocksY < 1) continue;
      sumCos.fill(0);
      sumSin.fill(0);
      for (let by = 0; by < blocksY; by++) {
        const y0 = oy + by * BLOCK;
        const row = (by % TILE) * TILE;
        for (let bx = 0; bx < blocksX; bx++) {
          const x0 = ox + bx * BLOCK;
          const mean = (sat[(y0 + BLOCK) * stride + x0 + BLOCK] - sat[y0 * stride + x0 + BLOCK] - sat[(y0 + BLOCK) * stride + x0] + sat[y0 * stride + x0]) / area;
          const theta = (2 * Math.PI * mean) / DELTA;
          const g = row + (bx % TILE);
          sumCos[g] += Math.cos(theta);
          sumSin[g] += Math.sin(theta);
        }
      }
      for (let ry = 0; ry < TILE; ry++) {
        for (let rx = 0; rx < TILE; rx++) {
          // grid cell (gy, gx) holds tile cell ((gy + ry) % TILE, (gx + rx) % TILE)
          for (let gy = 0; gy < TILE; gy++) {
            for (let gx = 0; gx < TILE; gx++) {
              const g = gy * TILE + gx;
              const cell = ((gy + ry) % TILE) * TILE + ((gx + rx) % TILE);
              soft[cell] = sumCos[g] * ditherCos[cell] + sumSin[g] * ditherSin[cell];
            }
          }
          // Strength: how decisively the sync cells read as the sync pattern.
          let strength = 0;
          for (let i = 0; i < SYNC_BITS.length; i++) strength += SYNC_BITS[i] ? -soft[i] : soft[i];
          const stronger = !best || strength > best.strength;
          if (!stronger && (strength <= 0 || (bestFound && strength <= bestFound.strength))) continue;
          let syncMatches = 0;
          for (let i = 0; i < SYNC_BITS.length; i++) if ((soft[i] < 0 ? 1 : 0) === SYNC_BITS[i]) syncMatches++;
          if (!stronger && syncMatches < 14) continue;
          const bits: number[] = Array.from(soft, (s) => (s < 0 ? 1 : 0));
          const syncMatch = syncMatches / SYNC_BITS.length;
          const data = bits.slice(16, 48);
          const crc = bits.slice(48, 64).reduce((acc, b) => (acc << 1) | b, 0);
          const payload = data.reduce((acc, b) => ((acc << 1) | b) >>> 0, 0);
          const found = syncMatch >= 14 / 16 && crc16(data) === crc;
          const candidate: { detection: WatermarkDetection; strength: number } = { strength, detection: { found, scheme: WATERMARK_SCHEME, payload: payload.toString(16).padStart(8, '0'), syncMatch, scale, bits } };
          if (stronger) best = candidate;
          if (found && (!bestFound || strength > bestFound.strength)) bestFound = candidate;
        }
      }
    }
  }
  // A found alignment counts only when its sync is about as strong as the strongest one, so
  // random CRC matches among thousands of weak alignments cannot make an unmarked image "found".
  if (bestFound && best && bestFound.strength >= 0.5 * best.strength) return bestFound.detection;
  return best?.detection ?? null;
}
