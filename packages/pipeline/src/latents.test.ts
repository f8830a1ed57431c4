import { describe, expect, it } from 'vitest';
import { gaussianNoise, seededUint32, geometryFor, imageIds, packLatents, sequenceLength, textIds, unpackLatents, xoshiro128ss } from './latents.js';

describe('packLatents / unpackLatents', () => {
  const g = geometryFor(96, 64, 16); // non-square: h=8, w=12 latents → 4x6 tokens
  const B = 2;
  const n = B * 16 * 8 * 12;
  const src = Float32Array.from({ length: n }, (_, i) => i);

  it('are inverse of each other', () => {
    const packed = packLatents(src, B, g);
    expect(Array.from(unpackLatents(packed, B, g))).toEqual(Array.from(src));
  });

  it('put latent (b,c,y,x) at token i*(W/16)+j, channel c*4+py*2+px', () => {
    const packed = packLatents(src, B, g);
    const at = (b: number, c: number, y: number, x: number) => src[((b * 16 + c) * 8 + y) * 12 + x];
    const S = sequenceLength(g);
    expect(S).toBe(24);
    // b=1, c=5, y=3 (i=1, py=1), x=8 (j=4, px=0)
    expect(packed[(1 * S + (1 * 6 + 4)) * 64 + 5 * 4 + 1 * 2 + 0]).toBe(at(1, 5, 3, 8));
    expect(packed[0 * 64 + 3]).toBe(at(0, 0, 1, 1));
  });
});

describe('position ids', () => {
  it('img_ids rows are (0, i, j) in token order', () => {
    const ids = imageIds(geometryFor(64, 32, 16)); // 2 rows x 4 columns of tokens
    const rows = Array.from({ length: 8 }, (_, k) => Array.from(ids.slice(k * 3, k * 3 + 3)));
    expect(rows).toEqual([
      [0, 0, 0], [0, 0, 1], [0, 0, 2], [0, 0, 3],
      [0, 1, 0], [0, 1, 1], [0, 1, 2], [0, 1, 3],
    ]);
  });

  it('txt_ids are all zero', () => {
    const ids = textIds(7);
    expect(ids.length).toBe(21);
    expect(ids.every((v) => v === 0)).toBe(true);
  });
});

describe('seeded noise', () => {
  it('is the same for the same seed and differs between seeds', () => {
    const a = gaussianNoise(42, new Float32Array(1024));
    const b = gaussianNoise(42, new Float32Array(1024));
    const c = gaussianNoise(43, new Float32Array(1024));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('is standard normal', () => {
    const x = gaussianNoise(7, new Float32Array(200_000));
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    expect(x.every(Number.isFinite)).toBe(true);
  });

  it('xoshiro128** matches the reference sequence for state (1,2,3,4)', () => {
    const next = xoshiro128ss([1, 2, 3, 4]);
    expect([next(), next(), next()]).toEqual([11520, 0, 5927040]);
  });

  it('seed 0 expands to a pinned stream (a change here changes every image)', () => {
    const next = seededUint32(0);
    expect([next(), next()]).toEqual([3809008728, 1133695204]);
  });
});
