import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePngRgb, loadModel, type FlowModel } from '@flowfarm/pipeline';
import { DEFAULT_MODELS_DIR } from '../commands/generate.js';
import { analyzeImage } from './analyze.js';
import { loadDomain } from './domain.js';

// Needs the trained models/tiny-shapes (an untrained export draws noise and fails here).
const dir = path.join(DEFAULT_MODELS_DIR, 'tiny-shapes');

describe('tiny-shapes end to end', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(dir);
  });
  afterAll(() => model?.release());

  it('gives the same PNG bytes for the same prompt and seed', async () => {
    const req = { prompt: 'a small green triangle at the bottom right on a white background', seed: 77 };
    const [a, b] = [await model.generate(req), await model.generate(req)];
    expect(Buffer.from(a.images[0].data).equals(Buffer.from(b.images[0].data))).toBe(true);
  });

  it('draws "a large red circle in the center on a blue background" so the analyzer reads it back', async () => {
    const domain = loadDomain(dir);
    const prompt = 'a large red circle in the center on a blue background';
    const { images } = await model.generate({ prompt, seed: 1, numImages: 4 });
    const reads = images.map((img) => {
      const png = decodePngRgb(img.data);
      const a = analyzeImage(png.rgb, png.width, png.height, domain);
      return { background: a.background, color: a.color, position: a.position, shape: a.shape, size: a.size };
    });
    // every image: right colors and place; shape class and size on at least 3 of 4 seeds
    for (const r of reads) expect(r).toMatchObject({ background: 'blue', color: 'red', position: 'center' });
    const exact = reads.filter((r) => r.shape === 'circle' && r.size === 'large');
    expect(exact.length, JSON.stringify(reads)).toBeGreaterThanOrEqual(3);
  });
});
