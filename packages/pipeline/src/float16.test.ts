import { describe, expect, it } from 'vitest';
import { fromHalfArray, fromHalfBits, toHalfArray, toHalfBits } from './float16.js';

describe('fp16 conversion', () => {
  it('encodes well-known values', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff); // largest finite half
    expect(toHalfBits(1e6)).toBe(0x7c00); // overflow → +inf
    expect(toHalfBits(0.1)).toBe(0x2e66);
    expect(toHalfBits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalfBits(1e-9)).toBe(0);
  });

  it('rounds to nearest even', () => {
    // 1 + 2^-11 lies exactly between 1 and 1 + 2^-10: ties go to the even mantissa (1)
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('round-trips every finite half value', () => {
    for (let h = 0; h < 0x7c00; h++) {
      expect(toHalfBits(fromHalfBits(h))).toBe(h);
      expect(toHalfBits(fromHalfBits(h | 0x8000))).toBe(h | 0x8000);
    }
  });

  it('keeps typical activations within half precision', () => {
    const x = Float32Array.from([0.333, -1.5, 3.14159, 100.25]);
    const back = fromHalfArray(toHalfArray(x));
    x.forEach((v, i) => expect(Math.abs(back[i] - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11));
  });
});
