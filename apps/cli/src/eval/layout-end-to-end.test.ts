import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePngRgb, loadModel, type FlowModel } from '@flowfarm/pipeline';
import { DEFAULT_MODELS_DIR } from '../commands/generate.js';
import { loadDomain } from './domain.js';
import { layoutCases } from './layout-cases.js';
import { scoreLayout, summarizeLayouts } from './layout-score.js';

// Needs the trained models/tiny-shapes. The shipped model draws one shape per prompt, so
// without regional guidance two differently colored shapes in their boxes do not appear.
const dir = path.join(DEFAULT_MODELS_DIR, 'tiny-shapes');

describe('layouts on tiny-shapes', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(dir);
  });
  afterAll(() => model?.release());

  it('puts each object\'s color inside its box far more often than one prompt can', async () => {
    const domain = loadDomain(dir);
    const cases = layoutCases(domain, 8, 2, 'with background', { snap: 1 / 8 });
    const render = async (withLayout: boolean) => {
      const out = await model.generateBatch(
        cases.map((c) => ({
          prompt: `${c.objects.map((o) => o.prompt.replace(/ on a .*$/, '')).join(' and ')} on a ${c.background} background`,
          seed: c.seed,
          ...(withLayout ? { layout: { background: c.backgroundPrompt, objects: c.objects.map((o) => ({ box: o.box, prompt: o.prompt })) } } : {}),
        })),
      );
      return summarizeLayouts(out.map((r, i) => {
        const png = decodePngRgb(r.images[0].data);
        return scoreLayout(cases[i], png.rgb, png.width, png.height, domain);
      }));
    };
    const guided = await render(true);
    const unguided = await render(false);
    // measured at 60 layouts: 76 % of objects have their color in their box (eval:layout)
    expect(guided.colorInBox, JSON.stringify(guided)).toBeGreaterThanOrEqual(9);
    expect(guided.colorInBox).toBeGreaterThan(unguided.colorInBox + 4);
    expect(guided.background).toBe(cases.length);
  });
});

describe('object prompts of a layout on tiny-shapes', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(dir);
  });
  afterAll(() => model?.release());

  // A user's object prompt need not fit its box: here it has no size word (the model's default
  // is large), a position word, and no background. The layout path asks each object's row for
  // an object that fills its box (size word from the box), without the position word, on the
  // scene's background (region-prompts.ts).
  it('draws each object to fill its box whatever size and place words its prompt has', async () => {
    const domain = loadDomain(dir);
    const cases = layoutCases(domain, 12, 1, 'plain', { seed: 77, snap: 1 / 8 });
    const render = async (derivePrompts: boolean) => {
      const out = await model.generateBatch(
        cases.map((c) => ({
          prompt: c.backgroundPrompt,
          seed: c.seed,
          layout: {
            background: c.backgroundPrompt,
            objects: c.objects.map((o) => ({ box: o.box, prompt: `a ${o.color} ${o.shape} ${o.box[0] < 0.3 ? 'on the right' : 'at the top left'}` })),
          },
          regional: { derivePrompts },
        })),
      );
      return summarizeLayouts(out.map((r, i) => {
        const png = decodePngRgb(r.images[0].data);
        return scoreLayout(cases[i], png.rgb, png.width, png.height, domain);
      }));
    };
    const derived = await render(true);
    const asWritten = await render(false);
    expect(cases.filter((c) => c.objects[0].size === 'small').length).toBeGreaterThanOrEqual(3);
    // eval:layout at 40 layouts: color in its box 80 % derived, 5-13 % as written
    expect(derived.colorInBox, JSON.stringify(derived)).toBeGreaterThanOrEqual(8);
    expect(asWritten.colorInBox, JSON.stringify(asWritten)).toBeLessThanOrEqual(4);
  });

  // The dataset spec's documented template says "large" whatever box the generator draws: in a
  // small box the row is asked for a small object (the model's small extent fills it).
  it('draws a small object in a small box although its prompt says large', async () => {
    const domain = loadDomain(dir);
    const cases = layoutCases(domain, 40, 1, 'with background', { seed: 78, snap: 1 / 8 }).filter((c) => c.objects[0].size === 'small').slice(0, 10);
    const render = async (derivePrompts: boolean) => {
      const out = await model.generateBatch(
        cases.map((c) => ({
          prompt: c.backgroundPrompt,
          seed: c.seed,
          layout: { background: c.backgroundPrompt, objects: c.objects.map((o) => ({ box: o.box, prompt: o.prompt.replace(/\bsmall\b/, 'large') })) },
          regional: { derivePrompts },
        })),
      );
      return summarizeLayouts(out.map((r, i) => {
        const png = decodePngRgb(r.images[0].data);
        return scoreLayout(cases[i], png.rgb, png.width, png.height, domain);
      }));
    };
    const derived = await render(true);
    const asWritten = await render(false);
    expect(cases).toHaveLength(10);
    expect(derived.colorInBox, JSON.stringify(derived)).toBeGreaterThanOrEqual(7);
    expect(asWritten.colorInBox, JSON.stringify(asWritten)).toBeLessThanOrEqual(3);
  });
});
