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
});
