// Aspect ratios on a model that lists its trained sizes: the size the ratio picks renders at
// the nearest trained size and is resampled (trained-sizes.ts), on tiny-shapes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOutputImage, loadModel, type FlowModel } from './index.js';
import { shippedModelVariant } from './testing/shipped-model-variant.js';
import { nearestTrainedSize, resampleRgb } from './trained-sizes.js';

const TRAINED = [
  { width: 64, height: 64 }, { width: 96, height: 64 }, { width: 64, height: 96 }, { width: 128, height: 64 },
  { width: 64, height: 128 }, { width: 128, height: 128 }, { width: 192, height: 128 }, { width: 256, height: 128 },
];

describe('nearestTrainedSize', () => {
  it('keeps a trained size and any size when the model lists none', () => {
    expect(nearestTrainedSize({ width: 96, height: 64 }, TRAINED)).toEqual({ width: 96, height: 64 });
    expect(nearestTrainedSize({ width: 80, height: 48 }, undefined)).toEqual({ width: 80, height: 48 });
    expect(nearestTrainedSize({ width: 80, height: 48 }, [])).toEqual({ width: 80, height: 48 });
  });

  it('picks the closest ratio first, then the closest pixel count', () => {
    expect(nearestTrainedSize({ width: 80, height: 48 }, TRAINED)).toEqual({ width: 96, height: 64 }); // 5:3 → 3:2
    expect(nearestTrainedSize({ width: 48, height: 80 }, TRAINED)).toEqual({ width: 64, height: 96 });
    expect(nearestTrainedSize({ width: 96, height: 48 }, TRAINED)).toEqual({ width: 128, height: 64 }); // 2:1, the smaller one
    expect(nearestTrainedSize({ width: 64, height: 48 }, TRAINED)).toEqual({ width: 96, height: 64 }); // 4:3 → 3:2, not 1:1
    expect(nearestTrainedSize({ width: 112, height: 112 }, TRAINED)).toEqual({ width: 128, height: 128 });
  });

  it('measures the ratio the job asked for when given, not its grid size\'s', () => {
    // 16:9 (1.78) and 3:2 (1.5) both get 80x48 (1.67) on a 16-pixel grid
    expect(nearestTrainedSize({ width: 80, height: 48 }, TRAINED, 16 / 9)).toEqual({ width: 128, height: 64 });
    expect(nearestTrainedSize({ width: 80, height: 48 }, TRAINED, 3 / 2)).toEqual({ width: 96, height: 64 });
    expect(nearestTrainedSize({ width: 176, height: 96 }, TRAINED, 16 / 9)).toEqual({ width: 256, height: 128 });
  });
});

let dir: string;
let bucketed: FlowModel;
let native: FlowModel;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ff-trained-sizes-'));
  // highResolution off: the by-hand renders at 128x64 below are one native pass
  [bucketed, native] = await Promise.all([loadModel(await shippedModelVariant(dir, 'bucketed', { trainedSizes: TRAINED, highResolution: undefined })), loadModel(await shippedModelVariant(dir, 'native', { trainedSizes: undefined, highResolution: undefined }))]);
}, 120_000);
afterAll(async () => {
  await Promise.all([bucketed?.release(), native?.release()]);
  await rm(dir, { recursive: true, force: true });
});

const prompt = 'a small red square at the top left on a blue background';

describe('an aspect ratio the model was not trained at', () => {
  it('renders at the nearest trained size and resamples: the same pixels as doing it by hand', async () => {
    const result = await bucketed.generate({ prompt, seed: 9, steps: 4, aspectRatio: '16:9' });
    const image = await decodeOutputImage(result.images[0]!.data);
    expect([image.width, image.height]).toEqual([80, 48]);
    expect(image.parameters).toMatchObject({ size: '80x48', aspect_ratio: '16:9', render_size: '128x64' });

    const atTrained = await decodeOutputImage((await bucketed.generate({ prompt, seed: 9, steps: 4, width: 128, height: 64 })).images[0]!.data);
    const byHand = await resampleRgb(atTrained.rgb, { width: 128, height: 64 }, { width: 80, height: 48 });
    expect(Buffer.from(image.rgb).equals(Buffer.from(byHand))).toBe(true);

    // without trainedSizes the model renders 80x48 natively: other pixels, no render_size
    const nativeImage = await decodeOutputImage((await native.generate({ prompt, seed: 9, steps: 4, aspectRatio: '16:9' })).images[0]!.data);
    expect([nativeImage.width, nativeImage.height]).toEqual([80, 48]);
    expect(nativeImage.parameters.render_size).toBeUndefined();
    expect(Buffer.from(nativeImage.rgb).equals(Buffer.from(image.rgb))).toBe(false);
  }, 120_000);

  it('leaves a trained size and an explicit width/height alone, also in one batch with a resampled request', async () => {
    const square = await decodeOutputImage((await bucketed.generate({ prompt, seed: 3, steps: 4, aspectRatio: '1:1' })).images[0]!.data);
    expect(square.parameters.render_size).toBeUndefined();
    const [ratio, explicit] = await bucketed.generateBatch([
      { prompt, seed: 4, steps: 4, aspectRatio: '16:9' },
      { prompt, seed: 4, steps: 4, width: 80, height: 48 },
    ]);
    const a = await decodeOutputImage(ratio.images[0]!.data);
    const b = await decodeOutputImage(explicit.images[0]!.data);
    expect(a.parameters.render_size).toBe('128x64');
    expect(b.parameters.render_size).toBeUndefined();
    const alone = await decodeOutputImage((await native.generate({ prompt, seed: 4, steps: 4, width: 80, height: 48 })).images[0]!.data);
    expect(Buffer.from(b.rgb).equals(Buffer.from(alone.rgb))).toBe(true);
  }, 120_000);

  it('runs ultra\'s refine pass at the trained size nearest the ultra size', async () => {
    const image = await decodeOutputImage((await bucketed.generate({ prompt, seed: 2, steps: 4, ultra: true, aspectRatio: '16:9' })).images[0]!.data);
    expect([image.width, image.height]).toEqual([176, 96]);
    expect(image.parameters).toMatchObject({ ultra_mode: 'refine', render_size: '256x128' });
  }, 120_000);
});
