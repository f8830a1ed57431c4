import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDomain } from './domain.js';
import { layoutCases } from './layout-cases.js';
import { renderIdealLayout } from './ideal-render.js';
import { colorOfPrompt, scoreImageLabels, summarizeLabels, type LabelledBox } from './dataset-labels.js';

const domain = loadDomain(path.resolve(__dirname, '../../../../models/tiny-shapes'));
const SIZE = 64;

const cocoOf = (c: ReturnType<typeof layoutCases>[number]): LabelledBox[] =>
  c.objects.map((o) => ({ bbox: [o.box[0] * SIZE, o.box[1] * SIZE, (o.box[2] - o.box[0]) * SIZE, (o.box[3] - o.box[1]) * SIZE], label: o.shape, color: o.color }));

describe('dataset labels scoring', () => {
  it('matches every COCO box of ideal renders (box, class and color)', () => {
    const cases = layoutCases(domain, 40, 3, 'plain');
    const s = summarizeLabels(cases.map((c) => scoreImageLabels(cocoOf(c), renderIdealLayout(c, SIZE, domain), SIZE, SIZE, domain)));
    expect(s).toMatchObject({ annotations: 120, box: 120, label: 120, color: 120, unannotated: 0, wholeImages: 40 });
  });

  it('counts an object not drawn as unmatched, and a shape drawn off its box as unannotated', () => {
    const [c] = layoutCases(domain, 1, 3, 'plain');
    const missing = scoreImageLabels(cocoOf(c), renderIdealLayout(c, SIZE, domain, new Set([1])), SIZE, SIZE, domain);
    expect(missing.objects.map((o) => o.box)).toEqual([true, false, true]);
    // the annotation of object 0 says it is somewhere else: its box misses, the drawn shape is unannotated
    const moved = cocoOf(c);
    moved[0] = { ...moved[0], bbox: [moved[1].bbox[0], moved[1].bbox[1], moved[0].bbox[2], moved[0].bbox[3]] };
    const off = scoreImageLabels(moved.slice(0, 1), renderIdealLayout(c, SIZE, domain, new Set([1, 2])), SIZE, SIZE, domain);
    expect(off.objects[0].box).toBe(false);
    expect(off.unannotated).toBe(1);
  });

  it('reads the color an object prompt names', () => {
    expect(colorOfPrompt('a large Red circle on a white background', domain)).toBe('red');
    expect(colorOfPrompt('a large circle', domain)).toBeNull();
  });
});
