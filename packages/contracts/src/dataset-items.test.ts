import { describe, expect, it } from 'vitest';
import { datasetItem } from './dataset-items.js';
import { DatasetSpec } from './dataset-spec.js';

const filled = (spec: unknown) => ({ ...DatasetSpec.parse(spec), seed: 42, width: 64, height: 64 });

describe('dataset items', () => {
  it('fills the template from the variables, the same way every time, with seed + index', () => {
    const spec = filled({ count: 1000, prompt: 'a {size} {color} circle', variables: { size: ['small', 'large'], color: ['red', 'blue', 'green'] } });
    const items = Array.from({ length: 300 }, (_, i) => datasetItem(spec, i));
    expect(items.map((it) => datasetItem(spec, it.index))).toEqual(items);
    expect(items[5].seed).toBe(47);
    expect(new Set(items.map((it) => it.prompt)).size).toBe(6); // every combination appears
    expect(items.every((it) => it.prompt === `a ${it.values.size} ${it.values.color} circle`)).toBe(true);
    expect(datasetItem({ ...spec, seed: 43 }, 5).prompt === items[5].prompt && datasetItem({ ...spec, seed: 43 }, 6).prompt === items[6].prompt && datasetItem({ ...spec, seed: 43 }, 7).prompt === items[7].prompt).toBe(false);
  });

  it('makes layouts of labelled boxes inside the image, apart from each other, centres on the 8-pixel grid', () => {
    const spec = filled({
      count: 500,
      layout: {
        objects: { min: 2, max: 3 },
        labels: [{ label: 'circle', prompt: 'a {color} circle on a {bg} background' }, { label: 'square', prompt: 'a {color} square' }],
        background: 'a {bg} background',
        object_variables: ['color'],
      },
      variables: { color: ['red', 'blue'], bg: ['white'] },
    });
    for (let i = 0; i < 200; i++) {
      const { layout } = datasetItem(spec, i);
      const objects = layout!.objects;
      expect(objects.length).toBeGreaterThanOrEqual(2);
      expect(layout!.background).toBe('a white background');
      for (const [k, o] of objects.entries()) {
        expect(Math.min(...o.box)).toBeGreaterThanOrEqual(0);
        expect(Math.max(...o.box)).toBeLessThanOrEqual(1);
        expect(((o.box[0] + o.box[2]) / 2) * 8).toBeCloseTo(Math.round(((o.box[0] + o.box[2]) / 2) * 8), 4);
        expect(['circle', 'square']).toContain(o.label);
        // apart by at least 0.08 of the image along x or y, so drawn neighbours do not touch
        for (const p of objects.slice(k + 1)) {
          const apart = Math.max(p.box[0] - o.box[2], o.box[0] - p.box[2], p.box[1] - o.box[3], o.box[1] - p.box[3]);
          expect(apart).toBeGreaterThanOrEqual(0.08 - 1e-5);
        }
      }
    }
  });
});
