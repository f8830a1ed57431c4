import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDomain } from './domain.js';
import { layoutCases, type LayoutCase } from './layout-cases.js';
import { scoreLayout, summarizeLayouts } from './layout-score.js';
import { boxIoU } from './layout-shapes.js';
import { renderIdealLayout } from './ideal-render.js';

const domain = loadDomain(path.resolve(__dirname, '../../../../models/tiny-shapes'));

/** Each object drawn exactly filling its box (as the training renderer draws shapes). */
export const renderLayoutCase = (c: LayoutCase, size: number, skip = new Set<number>()): Uint8Array => renderIdealLayout(c, size, domain, skip);

describe('layout adherence scoring', () => {
  it('reads every object of ideal renders as placed', () => {
    for (const n of [2, 3]) {
      const cases = layoutCases(domain, 40, n, 'plain');
      const summary = summarizeLayouts(cases.map((c) => scoreLayout(c, renderLayoutCase(c, 64), 64, 64, domain)));
      expect(summary.placed).toBe(summary.objects);
    }
  });

  it('counts a missing object as not placed', () => {
    const [c] = layoutCases(domain, 1, 3, 'plain');
    const score = scoreLayout(c, renderLayoutCase(c, 64, new Set([1])), 64, 64, domain);
    expect(score.objects.map((o) => o.placed)).toEqual([true, false, true]);
  });

  it('places boxes inside the image without touching', () => {
    for (const c of layoutCases(domain, 50, 3, 'plain')) {
      for (const [i, a] of c.objects.entries()) {
        expect(Math.min(...a.box)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...a.box)).toBeLessThanOrEqual(1);
        for (const b of c.objects.slice(i + 1)) expect(boxIoU(a.box, b.box)).toBe(0);
      }
    }
  });
});
