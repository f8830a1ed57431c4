import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOutputImage, loadModel, type FlowModel } from './index.js';
import { noiseToSigma, partialSchedule } from './image-to-image.js';
import { sigmaSchedule } from './schedule.js';

describe('partialSchedule', () => {
  const sigmas = sigmaSchedule(4, 'schnell', 16); // 1, .75, .5, .25, 0
  it('runs the last ⌊N·strength⌋ steps (at least one) from the matching sigma', () => {
    expect(partialSchedule(sigmas, 1)).toMatchObject({ start: 0, steps: 4 });
    expect(Array.from(partialSchedule(sigmas, 0.5).sigmas)).toEqual([0.5, 0.25, 0]);
    expect(partialSchedule(sigmas, 0.5)).toMatchObject({ start: 2, steps: 2 });
    expect(partialSchedule(sigmas, 0.1)).toMatchObject({ start: 3, steps: 1 });
  });
  it('refuses a strength outside (0, 1]', () => {
    for (const s of [0, -0.1, 1.01, Number.NaN]) expect(() => partialSchedule(sigmas, s)).toThrow(/strength must be in \(0, 1\]/);
  });
});

describe('noiseToSigma', () => {
  it('interpolates linearly: the image at sigma 0, the noise at sigma 1', () => {
    const x0 = Float32Array.from([1, -2, 0.5]);
    const eps = Float32Array.from([0, 1, -1]);
    expect(Array.from(noiseToSigma(x0, eps, 0))).toEqual([1, -2, 0.5]);
    expect(Array.from(noiseToSigma(x0, eps, 1))).toEqual([0, 1, -1]);
    expect(Array.from(noiseToSigma(x0, eps, 0.25))).toEqual([0.75, -1.25, 0.125]);
  });
});

describe('image-to-image in generateBatch (tiny-shapes)', () => {
  const shipped = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'tiny-shapes');
  const prompt = 'a large red circle in the center on a blue background';
  let model: FlowModel;
  // packed latents [1, 16, 64] for 64x64: any fixed values stand in for an encoded image here
  const init = { latents: Float32Array.from({ length: 16 * 64 }, (_, i) => Math.sin(i) * 0.5) };
  beforeAll(async () => {
    model = await loadModel(shipped, { intraOpThreads: 1 });
  });
  afterAll(() => model.release());

  it('at strength 1 starts from pure noise: the same pixels as text-to-image', async () => {
    const plain = await decodeOutputImage((await model.generate({ prompt, seed: 4 })).images[0].data);
    const full = await decodeOutputImage((await model.generate({ prompt, seed: 4, strength: 1, init })).images[0].data);
    expect(Buffer.from(full.rgb).equals(Buffer.from(plain.rgb))).toBe(true);
    expect(full.parameters.strength).toBe('1');
  });

  it('at strength 0.5 runs the last half of the steps from the image, repeatably, and records the strength', async () => {
    const totals: number[] = [];
    const half = await model.generate({ prompt, seed: 4, strength: 0.5, init }, { onProgress: (p) => totals.push(p.total) });
    expect(totals).toEqual([2, 2]);
    const again = await model.generate({ prompt, seed: 4, strength: 0.5, init });
    expect(Buffer.from(half.images[0].data).equals(Buffer.from(again.images[0].data))).toBe(true);
    const plain = await model.generate({ prompt, seed: 4 });
    expect(Buffer.from(half.images[0].data).equals(Buffer.from(plain.images[0].data))).toBe(false);
    expect((await decodeOutputImage(half.images[0].data)).parameters.strength).toBe('0.5');
  });

  it('refuses a strength below 1 without an image, latents of the wrong size, and mixed strengths in a batch', async () => {
    await expect(model.generate({ prompt, strength: 0.5 })).rejects.toThrow(/needs a starting image/);
    await expect(model.generate({ prompt, strength: 0.5, init: { latents: new Float32Array(10) } })).rejects.toThrow(/this size needs 1024/);
    await expect(model.generateBatch([{ prompt, strength: 0.5, init }, { prompt }])).rejects.toThrow(/share strength/);
  });
});
