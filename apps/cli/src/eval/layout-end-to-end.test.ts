import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePngRgb, loadModel, type FlowModel, type GenerateRequest } from '@flowfarm/pipeline';
import { DEFAULT_MODELS_DIR } from '../commands/generate.js';
import { loadDomain } from './domain.js';
import { layoutCases, type LayoutCase } from './layout-cases.js';
import { scoreLayout, summarizeLayouts } from './layout-score.js';

// Needs the trained models/tiny-shapes. The shipped model draws one shape per prompt, so
// without regional guidance two differently colored shapes in their boxes do not appear.
const dir = path.join(DEFAULT_MODELS_DIR, 'tiny-shapes');

// one model for every case below (loading it is most of a short case's time)
let model: FlowModel;
beforeAll(async () => {
  model = await loadModel(dir);
});
afterAll(() => model?.release());

/** Renders one request per case in one batch and scores each image against its case. */
async function renderScored(cases: LayoutCase[], requestOf: (c: LayoutCase) => GenerateRequest) {
  const domain = loadDomain(dir);
  const out = await model.generateBatch(cases.map(requestOf));
  return out.map((r, i) => {
    const png = decodePngRgb(r.images[0].data);
    return scoreLayout(cases[i], png.rgb, png.width, png.height, domain);
  });
}

describe('layouts on tiny-shapes', () => {

  it('puts each object\'s color inside its box far more often than one prompt can', async () => {
    const domain = loadDomain(dir);
    const cases = layoutCases(domain, 8, 2, 'with background', { snap: 1 / 8 });
    const render = async (withLayout: boolean) =>
      summarizeLayouts(await renderScored(cases, (c) => ({
        prompt: `${c.objects.map((o) => o.prompt.replace(/ on a .*$/, '')).join(' and ')} on a ${c.background} background`,
        seed: c.seed,
        ...(withLayout ? { layout: { background: c.backgroundPrompt, objects: c.objects.map((o) => ({ box: o.box, prompt: o.prompt })) } } : {}),
      })));
    const guided = await render(true);
    const unguided = await render(false);
    // measured at 60 layouts: 76 % of objects have their color in their box (eval:layout)
    expect(guided.colorInBox, JSON.stringify(guided)).toBeGreaterThanOrEqual(9);
    expect(guided.colorInBox).toBeGreaterThan(unguided.colorInBox + 4);
    expect(guided.background).toBe(cases.length);
  });
});

describe('object prompts of a layout on tiny-shapes', () => {

  // A user's object prompt need not fit its box: here it has no size word (the model's default
  // is large), a position word, and no background. The layout path asks each object's row for
  // an object that fills its box (size word from the box), without the position word, on the
  // scene's background (region-prompts.ts).
  it('draws each object to fill its box whatever size and place words its prompt has', async () => {
    const domain = loadDomain(dir);
    const cases = layoutCases(domain, 12, 1, 'plain', { seed: 77, snap: 1 / 8 });
    const render = async (derivePrompts: boolean) =>
      summarizeLayouts(await renderScored(cases, (c) => ({
        prompt: c.backgroundPrompt,
        seed: c.seed,
        layout: {
          background: c.backgroundPrompt,
          objects: c.objects.map((o) => ({ box: o.box, prompt: `a ${o.color} ${o.shape} ${o.box[0] < 0.3 ? 'on the right' : 'at the top left'}` })),
        },
        regional: { mode: 'regional', derivePrompts },
      })));
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
    const render = async (derivePrompts: boolean) =>
      summarizeLayouts(await renderScored(cases, (c) => ({
        prompt: c.backgroundPrompt,
        seed: c.seed,
        layout: { background: c.backgroundPrompt, objects: c.objects.map((o) => ({ box: o.box, prompt: o.prompt.replace(/\bsmall\b/, 'large') })) },
        regional: { mode: 'regional', derivePrompts },
      })));
    const derived = await render(true);
    const asWritten = await render(false);
    expect(cases).toHaveLength(10);
    expect(derived.colorInBox, JSON.stringify(derived)).toBeGreaterThanOrEqual(7);
    expect(asWritten.colorInBox, JSON.stringify(asWritten)).toBeLessThanOrEqual(3);
  });
});

describe('collage layouts on tiny-shapes', () => {

  // The shipped model draws a small triangle as a circle most of the time and a small square
  // right about half the time, however the rows are blended; drawn large in their own tiles and
  // scaled into their boxes, they keep their class (collage.ts). Layouts from a seed the
  // collage's settings were not chosen on.
  it('draws small shapes in small boxes with the right class, where the regional path mostly does not', async () => {
    const domain = loadDomain(dir);
    const cases = layoutCases(domain, 16, 2, 'with background', { seed: 31 });
    const render = async (mode: 'regional' | 'collage') => {
      const scores = await renderScored(cases, (c) => ({
        prompt: c.backgroundPrompt,
        seed: c.seed,
        layout: { background: c.backgroundPrompt, objects: c.objects.map((o) => ({ box: o.box, prompt: o.prompt })), mode },
      }));
      const small = scores.flatMap((s) => s.objects.filter((_, k) => s.case.objects[k].size === 'small'));
      return { small: small.length, smallPlaced: small.filter((o) => o.placed).length, all: summarizeLayouts(scores) };
    };
    const collage = await render('collage');
    const regional = await render('regional');
    // measured: small shapes placed 17/19 collage, 6/19 regional; all objects 29/32 and 15/32
    expect(collage.small).toBe(19);
    expect(collage.smallPlaced, JSON.stringify(collage)).toBeGreaterThanOrEqual(15);
    expect(regional.smallPlaced, JSON.stringify(regional)).toBeLessThanOrEqual(10);
    expect(collage.all.placed, JSON.stringify(collage.all)).toBeGreaterThanOrEqual(27);
    expect(collage.all.colorInBox).toBe(32);
  });

  it('refines a composite with image-to-image at the strength asked for, and records it', async () => {
    const domain = loadDomain(dir);
    const [c] = layoutCases(domain, 1, 2, 'with background', { seed: 32 });
    const layout = { background: c.backgroundPrompt, objects: c.objects.map((o) => ({ box: o.box, prompt: o.prompt })), mode: 'collage' as const };
    const kept = await model.generate({ prompt: c.backgroundPrompt, seed: c.seed, layout });
    const refined = await model.generate({ prompt: c.backgroundPrompt, seed: c.seed, layout, regional: { collageStrength: 0.5 } });
    expect(decodePngRgb(kept.images[0].data).text).toMatchObject({ layout_mode: 'collage', collage_strength: '0' });
    expect(decodePngRgb(refined.images[0].data).text).toMatchObject({ layout_mode: 'collage', collage_strength: '0.5' });
    // tiles (4 steps) then the refine pass (2 of 4 steps)
    expect(refined.timings.stepsMs).toHaveLength(6);
    expect(kept.timings.stepsMs).toHaveLength(4);
    expect(Buffer.from(refined.images[0].data).equals(Buffer.from(kept.images[0].data))).toBe(false);
  });

  it('renders the tiles of an aspect-ratio job at the size the job renders at, and fills its boxes', async () => {
    const domain = loadDomain(dir);
    const box = (x0: number, y0: number, x1: number, y1: number): [number, number, number, number] => [x0, y0, x1, y1];
    const layout = {
      background: 'a white background',
      objects: [{ box: box(0.05, 0.1, 0.3, 0.55), prompt: 'a red square' }, { box: box(0.6, 0.4, 0.85, 0.85), prompt: 'a blue circle' }],
      mode: 'collage' as const,
    };
    const out = await model.generate({ prompt: 'a white background', seed: 9, aspectRatio: '16:9', layout });
    const png = decodePngRgb(out.images[0].data);
    expect([png.width, png.height]).toEqual([out.request.width, out.request.height]);
    const c = { id: 0, background: 'white', backgroundPrompt: 'a white background', seed: 9, objects: [
      { box: layout.objects[0].box, color: 'red', shape: 'square', size: 'large', prompt: '' },
      { box: layout.objects[1].box, color: 'blue', shape: 'circle', size: 'large', prompt: '' },
    ] };
    const score = scoreLayout(c, png.rgb, png.width, png.height, domain);
    expect(score.objects.map((o) => o.colorInBox), JSON.stringify(score.found)).toEqual([true, true]);
  });
});
