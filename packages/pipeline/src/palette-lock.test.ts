import { describe, expect, it } from 'vitest';
import { lockToPalette, paletteCoverage, parseHexColor } from './palette-lock.js';

// 4x1 image: near red, near blue, a half-way mix, near white
const rgb = Uint8Array.from([210, 30, 40, 30, 40, 200, 120, 35, 120, 250, 250, 240]);
const palette = ['#dc2828', '#285adc', '#f5f5f5'].map(parseHexColor);

describe('palette lock', () => {
  it('hard: every pixel becomes its nearest palette color', () => {
    const out = lockToPalette(rgb, 4, 1, palette, 'hard');
    expect(Array.from(out)).toEqual([220, 40, 40, 40, 90, 220, 220, 40, 40, 245, 245, 245]);
    expect(paletteCoverage(out, palette, 0)).toBe(1);
  });

  it('edges: a boundary pixel stays a blend of exactly two palette colors', () => {
    const out = lockToPalette(rgb, 4, 1, palette, 'edges');
    // pixel 2 sits between red and blue: on the red→blue segment, at most half way
    const [r, g, b] = [out[6], out[7], out[8]];
    const t = (b - 40) / (220 - 40);
    expect(t).toBeGreaterThan(0.2);
    expect(t).toBeLessThanOrEqual(0.5);
    expect(Math.abs(r - (220 - 180 * t))).toBeLessThanOrEqual(1);
    expect(Math.abs(g - (40 + 50 * t))).toBeLessThanOrEqual(1);
  });

  it('measures coverage against a tolerance and parses only #rrggbb', () => {
    expect(paletteCoverage(rgb, palette, 5)).toBe(0);
    expect(paletteCoverage(rgb, palette, 10)).toBe(0.25); // the near-white pixel, 8.7 away
    expect(paletteCoverage(rgb, palette, 30)).toBe(0.5);
    expect(() => parseHexColor('red')).toThrow(/#rrggbb/);
  });
});
