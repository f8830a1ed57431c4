import { describe, expect, it } from 'vitest';
import { embedWatermarkReference, referencePaths, resetReferencePaths } from '../testing/block-watermark-reference.js';
import { WATERMARK_SCENE_KINDS, seededRandom, watermarkScene } from '../testing/watermark-scenes.js';
import { embedWatermark, integerShift } from './block-watermark.js';

// The optimized embedding must write exactly the bytes the first version wrote: a farm's images
// (and any test or bench figure about them) must not change with this speed-up.

const SIZES: [number, number][] = [[64, 64], [128, 128], [256, 256], [96, 64], [64, 96], [72, 40], [8, 8], [7, 9], [200, 13]];
const FIXED_PAYLOADS = [0, 0xffffffff, 0x80000000, 0x00000001, 0xc0ffee42, -1, 2 ** 32 + 5];

/** First differing byte of two embeddings, or null when they are identical. */
function firstDifference(a: Uint8Array, b: Uint8Array): string | null {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return `byte ${i}: ${a[i]} (new) vs ${b[i]} (reference)`;
  return null;
}

describe('embedWatermark against the reference implementation', () => {
  it('writes byte-identical pixels for every seeded scene, size and payload', () => {
    const rnd = seededRandom(11);
    const differences: string[] = [];
    let images = 0;
    resetReferencePaths();
    for (const kind of WATERMARK_SCENE_KINDS) {
      for (const [width, height] of SIZES) {
        // the larger sizes cost the reference ~10 ms each: fewer of them, all kinds still covered
        const repeats = width * height >= 256 * 256 ? 1 : width * height >= 128 * 128 ? 2 : 4;
        for (let r = 0; r < repeats; r++) {
          const scene = watermarkScene(kind, width, height, rnd);
          const payload = r < 2 ? FIXED_PAYLOADS[(images + r) % FIXED_PAYLOADS.length] : Math.floor(rnd() * 2 ** 32);
          const reference = embedWatermarkReference(Uint8Array.from(scene), width, height, payload);
          const optimized = embedWatermark(Uint8Array.from(scene), width, height, payload);
          const difference = firstDifference(optimized, reference);
          if (difference) differences.push(`${kind} ${width}x${height} payload ${payload} (scene ${images}): ${difference}`);
          images++;
        }
      }
    }
    expect(differences).toEqual([]);
    expect(images).toBeGreaterThan(250);
    // the scenes reach the rarer paths (see the reference for the two never seen to run)
    expect(referencePaths.extraRounds).toBeGreaterThan(referencePaths.blocks / 10);
    expect(referencePaths.clippedRounds).toBeGreaterThan(referencePaths.blocks / 20);
  });
});

describe('integerShift', () => {
  /** How the reference moves one channel: float sum, clamps, Math.round. */
  const moveChannel = (x: number, step: number) => {
    const v = x + step;
    return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  };

  it('gives the integer move the float rounding makes, for every channel value, or declines', () => {
    const rnd = seededRandom(3);
    const steps: number[] = [0, -0, 1e-300, -1e-300, 2 ** 20 - 0.3, -(2 ** 20) + 0.3, 1e6, -1e6];
    for (let k = -300; k <= 300; k++) {
      // half-integers and their float neighbours, where the rounding of x + step decides
      for (const half of [k + 0.5, k - 0.5]) {
        let up = half;
        let down = half;
        for (let i = 0; i < 40; i++) {
          steps.push(up, down);
          up = nextUp(up);
          down = nextDown(down);
        }
        steps.push(half + 2 ** -20, half - 2 ** -20, half + 2 ** -19, half - 2 ** -19, half + 2 ** -21, half - 2 ** -21);
      }
    }
    const ordinary = Array.from({ length: 20000 }, () => (rnd() - 0.5) * 600);
    steps.push(...ordinary);
    const wrong: string[] = [];
    for (const step of steps) {
      const shift = integerShift(step);
      if (shift === null) continue;
      for (let x = 0; x <= 255; x++) {
        const want = moveChannel(x, step);
        const got = Math.min(255, Math.max(0, x + shift));
        if (got !== want) wrong.push(`x ${x} step ${step}: ${got} vs ${want}`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    // it declines exactly at (and only near) half-integers, and takes the rest
    expect(integerShift(2.5)).toBeNull();
    expect(integerShift(-0.5)).toBeNull();
    expect(integerShift(nextDown(0.5))).toBeNull();
    expect(integerShift(0.5 - 2 ** -19)).toBe(0);
    // ordinary steps (the fast path) are taken
    expect(ordinary.filter((step) => integerShift(step) === null).length).toBeLessThan(5);
  });
});

/** The next double above / below x (x finite, not 0). */
function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + (x > 0 ? 1n : -1n));
  return view.getFloat64(0);
}
function nextDown(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + (x > 0 ? -1n : 1n));
  return view.getFloat64(0);
}
