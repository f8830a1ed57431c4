import { describe, expect, it } from 'vitest';
import { analyzeShapes } from './analyze.js';
import type { Domain } from './domain.js';
import { renderShapes } from './render.js';
import { sceneCases } from './scene-eval.js';
import { scoreScene } from './scene-report.js';

const domain: Domain = {
  colors: {
    red: [220, 40, 40], green: [40, 170, 70], blue: [40, 90, 220], yellow: [240, 215, 40],
    orange: [245, 135, 30], purple: [140, 60, 180], white: [245, 245, 245], black: [20, 20, 20],
  },
  positions: {
    'top left': [0.25, 0.25], top: [0.5, 0.25], 'top right': [0.75, 0.25], left: [0.25, 0.5], center: [0.5, 0.5],
    right: [0.75, 0.5], 'bottom left': [0.25, 0.75], bottom: [0.5, 0.75], 'bottom right': [0.75, 0.75],
  },
  sizes: { small: 0.11, large: 0.2 },
  shapes: ['circle', 'square', 'triangle'],
};

describe('the v2 scene cases and analyzeShapes', () => {
  const cases = sceneCases(domain, 0.25);

  it('covers every section at 64, 128 and 256 px with prompts that name what is scored', () => {
    const sets = new Set(cases.map((c) => `${c.set} ${c.width}x${c.height}`));
    for (const s of ['held-out 64x64', 'held-out (fresh) 64x64', 'held-out 128x128', 'held-out 256x256', '2 shapes 64x64', '3 shapes 64x64', '3 shapes 256x256', 'synonyms 64x64', 'unknown words 64x64', 'plurals 64x64']) {
      expect(sets, s).toContain(s);
    }
    for (const c of cases.filter((x) => x.set === '3 shapes')) expect(c.expected.shapes).toHaveLength(3);
    const syn = cases.find((c) => c.template === 'color: crimson')!;
    expect(syn.prompt).toContain('crimson');
    expect(syn.expected.shapes[0].color).toBe('red');
    expect(cases.find((c) => c.template === 'unknown color')!.prompt).toMatch(/magenta|teal|beige|turquoise|maroon|cyan|pink|brown|silver|lavender/);
  });

  it('reads ideal renders of every case as fully right (the analyzer is not the bottleneck)', () => {
    const wrong = cases.filter((c) => {
      const rgb = renderShapes(c.expected, c.width, c.height, domain);
      return !scoreScene(c, analyzeShapes(rgb, c.width, c.height, domain), domain.positions).correct;
    });
    expect(wrong.map((c) => `${c.width}x${c.height} ${c.prompt}`)).toEqual([]);
  });

  it('fails a scene with a missing shape, an extra speck-free shape or a swapped color', () => {
    const c = cases.find((x) => x.set === '2 shapes')!;
    const score = (spec: typeof c.expected) => {
      const rgb = renderShapes(spec, 64, 64, domain);
      return scoreScene(c, analyzeShapes(rgb, 64, 64, domain), domain.positions);
    };
    expect(score(c.expected).correct).toBe(true);
    expect(score({ ...c.expected, shapes: [c.expected.shapes[0]] }).correct).toBe(false);
    const [a, b] = c.expected.shapes;
    const swapped = a.color === b.color ? [{ ...a, color: a.color === 'red' ? 'blue' : 'red' }, b] : [{ ...a, color: b.color }, { ...b, color: a.color }];
    const s = score({ ...c.expected, shapes: swapped.filter((x) => x.color !== c.expected.background) });
    expect(s.correct).toBe(false);
    expect(s.shapePresent).toBe(true);
  });
});
