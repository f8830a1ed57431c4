import { describe, expect, it } from 'vitest';
import { embedWatermark } from './block-watermark.js';
import { detectWatermark } from './detect-watermark.js';

/** Seeded generator, so a failure names the image that failed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

// Flat colours like the shipped model's renders, including the near-white and saturated ones
// whose blocks cannot move their brightness in one direction (pixels at 255 or 0).
const PALETTE = [
  [255, 255, 255], [254, 254, 254], [255, 250, 252], [245, 245, 245], [0, 0, 0],
  [20, 20, 20], [220, 40, 40], [40, 90, 220], [240, 215, 40],
];

/** A disc on a background with ±2 levels of noise, interleaved RGB8. */
function scene(rnd: () => number, width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  const bg = PALETTE[Math.floor(rnd() * PALETTE.length)];
  const fg = PALETTE[Math.floor(rnd() * PALETTE.length)];
  const cx = rnd() * width, cy = rnd() * height, r = 5 + rnd() * 20;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = (x - cx) ** 2 + (y - cy) ** 2 < r * r ? fg : bg;
      for (let k = 0; k < 3; k++) rgb[(y * width + x) * 3 + k] = Math.max(0, Math.min(255, c[k] + Math.round((rnd() - 0.5) * 4)));
    }
  }
  return rgb;
}

describe('block watermark', () => {
  it('is found with its payload in every flat scene, near-white and saturated ones included', () => {
    const rnd = random(1);
    const missed: string[] = [];
    for (let i = 0; i < 120; i++) {
      const [width, height] = [[64, 64], [96, 64], [128, 128]][i % 3];
      const rgb = scene(rnd, width, height);
      const payload = Math.floor(rnd() * 2 ** 32) >>> 0;
      embedWatermark(rgb, width, height, payload);
      const found = detectWatermark(rgb, width, height);
      if (!found.found || found.payload !== payload.toString(16).padStart(8, '0')) missed.push(`image ${i} (${width}x${height}): ${found.payload}`);
    }
    expect(missed).toEqual([]);
  });

  it('is not found in images that were never marked', () => {
    const rnd = random(7);
    let found = 0;
    for (let i = 0; i < 20; i++) {
      const noise = i % 2 === 0;
      const rgb = noise ? Uint8Array.from({ length: 64 * 64 * 3 }, () => Math.floor(rnd() * 256)) : scene(rnd, 64, 64);
      if (detectWatermark(rgb, 64, 64).found) found++;
    }
    expect(found).toBe(0);
  });

  it('survives a crop that keeps a whole tile', () => {
    const rnd = random(3);
    const width = 160, height = 160;
    const rgb = scene(rnd, width, height);
    embedWatermark(rgb, width, height, 0xc0ffee42);
    // crop 100x100 starting at (13, 21): the grid is no longer at the image origin
    const cw = 100, ch = 100;
    const crop = new Uint8Array(cw * ch * 3);
    for (let y = 0; y < ch; y++) crop.set(rgb.subarray(((y + 21) * width + 13) * 3, ((y + 21) * width + 13 + cw) * 3), y * cw * 3);
    expect(detectWatermark(crop, cw, ch)).toMatchObject({ found: true, payload: 'c0ffee42' });
  });
});
