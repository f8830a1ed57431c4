import { describe, expect, it } from 'vitest';
import { ASPECT_RATIOS, sizeForAspectRatio } from './aspect-ratio.js';

const tiny = { resolution: { min: 32, max: 256, multiple: 16 }, base: { width: 64, height: 64 }, maxPixels: 65536 };
const flux = { resolution: { min: 256, max: 2048, multiple: 32 }, base: { width: 1024, height: 1024 }, maxPixels: 4_194_304 };

describe('sizeForAspectRatio', () => {
  it('keeps the base pixel count (within the grid) and the ratio as close as the grid allows', () => {
    for (const limits of [tiny, flux]) {
      for (const ratio of ASPECT_RATIOS) {
        const [a, b] = ratio.split(':').map(Number);
        const size = sizeForAspectRatio(ratio, false, limits)!;
        const base = limits.base.width * limits.base.height;
        expect(size.width % limits.resolution.multiple).toBe(0);
        expect(size.width * size.height / base).toBeGreaterThan(0.7);
        expect(size.width * size.height / base).toBeLessThan(1.13);
        // on FLUX's 32-pixel grid the ratio is within 3%; tiny's 16-pixel grid at 64 px is coarser
        expect(Math.abs(Math.log((size.width / size.height) / (a / b)))).toBeLessThan(limits === flux ? 0.03 : 0.2);
      }
    }
    expect(sizeForAspectRatio('16:9', false, flux)).toEqual({ width: 1376, height: 768 });
  });

  it('renders four times the pixels with ultra, within the maximum', () => {
    expect(sizeForAspectRatio('1:1', true, tiny)).toEqual({ width: 128, height: 128 });
    expect(sizeForAspectRatio('1:1', true, flux)).toEqual({ width: 2048, height: 2048 });
    const capped = sizeForAspectRatio('1:1', true, { ...tiny, maxPixels: 9216 })!;
    expect(capped.width * capped.height).toBeLessThanOrEqual(9216);
  });

  it('answers null when no allowed size fits', () => {
    expect(sizeForAspectRatio('21:9', false, { resolution: { min: 64, max: 64, multiple: 16 }, base: { width: 64, height: 64 }, maxPixels: 4096 })).toEqual({ width: 64, height: 64 });
    expect(sizeForAspectRatio('1:1', false, { resolution: { min: 64, max: 256, multiple: 16 }, base: { width: 64, height: 64 }, maxPixels: 1000 })).toBeNull();
  });
});
