import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowModel, PipelineInputError, decodePngRgb, loadModel } from './index.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-fixtures', 'mini');
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const layout = {
  background: 'white background',
  objects: [
    { box: [0.05, 0.05, 0.45, 0.45] as [number, number, number, number], prompt: 'a large red circle' },
    { box: [0.55, 0.5, 0.95, 0.9] as [number, number, number, number], prompt: 'a small blue square' },
  ],
};

describe('layout requests through the pipeline', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(fixture);
  });
  afterAll(() => model.release());

  it('renders the same bytes for the same layout and seed, and records the layout in the PNG', async () => {
    const a = await model.generate({ prompt: 'scene', seed: 3, layout });
    const b = await model.generate({ prompt: 'scene', seed: 3, layout });
    expect(same(a.images[0].data, b.images[0].data)).toBe(true);
    expect(JSON.parse(decodePngRgb(a.images[0].data).text.layout)).toEqual(layout);
  });

  it('changes the image with the layout', async () => {
    const plain = await model.generate({ prompt: 'white background', seed: 3 });
    const guided = await model.generate({ prompt: 'white background', seed: 3, layout });
    const moved = await model.generate({ prompt: 'white background', seed: 3, layout: { ...layout, objects: [{ ...layout.objects[0], box: [0.5, 0.5, 0.9, 0.9] }] } });
    expect(same(plain.images[0].data, guided.images[0].data)).toBe(false);
    expect(same(guided.images[0].data, moved.images[0].data)).toBe(false);
  });

  it('batches layout and plain requests together without changing either one', async () => {
    const plainReq = { prompt: 'red circle', seed: 11 };
    const layoutReq = { prompt: 'scene', seed: 12, layout, numImages: 2 };
    const [p, l] = await model.generateBatch([plainReq, layoutReq]);
    const pAlone = await model.generate(plainReq);
    const lAlone = await model.generate(layoutReq);
    expect(same(p.images[0].data, pAlone.images[0].data)).toBe(true);
    expect(same(l.images[1].data, lAlone.images[1].data)).toBe(true);
  });

  it('rejects an empty box with the field named', () => {
    expect(() => model.resolve({ prompt: 'x', layout: { objects: [{ box: [0.5, 0.5, 0.5, 0.9], prompt: 'a' }] } })).toThrow(PipelineInputError);
    expect(() => model.resolve({ prompt: 'x', layout: { objects: [{ box: [0.5, 0.5, 0.5, 0.9], prompt: 'a' }] } })).toThrow(/layout\.objects\.0\.box/);
  });

  describe('collage mode', () => {
    // the fixture has no VAE encoder: strength 0 (the composite as it is) needs none
    const collage = { ...layout, mode: 'collage' as const };
    const regional = { collageStrength: 0 };

    it('renders the same bytes for the same layout and seed, unlike the regional render, and says so in the file', async () => {
      const a = await model.generate({ prompt: 'scene', seed: 3, layout: collage, regional });
      const b = await model.generate({ prompt: 'scene', seed: 3, layout: collage, regional });
      const blended = await model.generate({ prompt: 'scene', seed: 3, layout: { ...layout, mode: 'regional' }, regional });
      expect(same(a.images[0].data, b.images[0].data)).toBe(true);
      expect(same(a.images[0].data, blended.images[0].data)).toBe(false);
      const text = decodePngRgb(a.images[0].data).text;
      expect(JSON.parse(text.layout)).toEqual(collage);
      expect(text).toMatchObject({ layout_mode: 'collage', collage_strength: '0', seed: '3', prompt: 'scene' });
      expect(text.strength).toBeUndefined();
    });

    it('batches collage, regional and plain requests together without changing any of them', async () => {
      const reqs = [
        { prompt: 'red circle', seed: 11 },
        { prompt: 'scene', seed: 12, layout: collage, regional, numImages: 2 },
        { prompt: 'scene', seed: 13, layout },
      ];
      const together = await model.generateBatch(reqs);
      for (const [i, r] of reqs.entries()) {
        const alone = await model.generate(r);
        expect(alone.images.length).toBe(r.numImages ?? 1);
        alone.images.forEach((im, k) => expect(same(im.data, together[i].images[k].data), `request ${i} image ${k}`).toBe(true));
        expect(together[i].images.map((im) => im.seed)).toEqual(alone.images.map((im) => im.seed));
      }
    });

    it('asks for a VAE encoder only when the composite is to be refined', async () => {
      await expect(model.generate({ prompt: 'scene', seed: 3, layout: collage, regional: { collageStrength: 0.5 } })).rejects.toThrow(/VAE encoder/);
      await expect(model.generate({ prompt: 'scene', seed: 3, layout: collage, regional: { collageStrength: 0.5 } })).rejects.toBeInstanceOf(PipelineInputError);
    });

    it('rejects an unknown mode with the field named', () => {
      expect(() => model.resolve({ prompt: 'x', layout: { ...layout, mode: 'paste' as 'collage' } })).toThrow(/layout\.mode/);
    });
  });
});
