// Ultra in refine mode (manifest `ultra: {mode: "refine", strength}`): a base-size render,
// stretched to the ultra size and refined there with image-to-image, on tiny-shapes with its
// manifest's mode set either way.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOutputImage, initFromImageFile, loadModel, type FlowModel } from './index.js';
import { firstPassSize, rendersInTwoPasses } from './render-passes.js';
import { shippedModelVariant } from './testing/shipped-model-variant.js';

let dir: string;
let refine: FlowModel;
let native: FlowModel;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ff-ultra-refine-'));
  [refine, native] = await Promise.all([loadModel(await shippedModelVariant(dir, 'refine', { ultra: { mode: 'refine', strength: 0.3 }, highResolution: undefined })), loadModel(await shippedModelVariant(dir, 'native', { ultra: { mode: 'native' }, highResolution: undefined }))]);
}, 120_000);
afterAll(async () => {
  await Promise.all([refine?.release(), native?.release()]);
  await rm(dir, { recursive: true, force: true });
});

const prompt = 'a large red circle in the center on a blue background';

describe('ultra in refine mode', () => {
  it('renders at the base size, then refines the stretched image at four times the pixels: the same pixels as doing it by hand', async () => {
    const steps: Array<[number, number]> = [];
    const result = await refine.generate({ prompt, seed: 5, steps: 4, ultra: true }, { onProgress: (p) => steps.push([p.step, p.total]) });
    const image = await decodeOutputImage(result.images[0]!.data);
    expect([image.width, image.height]).toEqual([128, 128]);
    expect(image.parameters).toMatchObject({ ultra: 'true', ultra_mode: 'refine', ultra_strength: '0.3', size: '128x128', seed: '5' });
    expect(image.parameters.strength).toBeUndefined();
    // 4 base steps, then 1 of 4 (strength 0.3) at 128x128, counted as one run
    expect(steps).toEqual([[1, 5], [2, 5], [3, 5], [4, 5], [5, 5]]);

    const base = await refine.generate({ prompt, seed: 5, steps: 4, aspectRatio: '1:1' });
    const init = await initFromImageFile(refine, base.images[0]!.data, 128, 128);
    const byHand = await refine.generate({ prompt, seed: 5, steps: 4, width: 128, height: 128, init, strength: 0.3 });
    expect(Buffer.from(image.rgb).equals(Buffer.from((await decodeOutputImage(byHand.images[0]!.data)).rgb))).toBe(true);

    // same request, same bytes; the native model renders something else at the same size
    expect(Buffer.from((await refine.generate({ prompt, seed: 5, steps: 4, ultra: true })).images[0]!.data).equals(Buffer.from(result.images[0]!.data))).toBe(true);
    const nativeImage = await decodeOutputImage((await native.generate({ prompt, seed: 5, steps: 4, ultra: true })).images[0]!.data);
    expect(nativeImage.parameters.ultra_mode).toBeUndefined();
    expect(Buffer.from(nativeImage.rgb).equals(Buffer.from(image.rgb))).toBe(false);
  }, 120_000);

  it('keeps several images apart (seed + k each) and serves a batch that mixes ultra with a plain render of the same size', async () => {
    const two = await refine.generate({ prompt, seed: 9, steps: 4, ultra: true, numImages: 2 });
    expect(two.images.map((i) => i.seed)).toEqual([9, 10]);
    const [a, b] = await Promise.all(two.images.map((i) => decodeOutputImage(i.data)));
    expect([a!.parameters.seed, b!.parameters.seed]).toEqual(['9', '10']);
    expect(Buffer.from(a!.rgb).equals(Buffer.from(b!.rgb))).toBe(false);
    const [ultra, plain] = await refine.generateBatch([{ prompt, seed: 3, steps: 4, ultra: true }, { prompt, seed: 3, steps: 4, width: 128, height: 128 }]);
    expect((await decodeOutputImage(ultra!.images[0]!.data)).parameters.ultra_mode).toBe('refine');
    expect((await decodeOutputImage(plain!.images[0]!.data)).parameters.ultra_mode).toBeUndefined();
    expect([plain!.images[0]!.width, plain!.images[0]!.height]).toEqual([128, 128]);
  }, 120_000);
});

describe('highResolution in refine mode (a large width x height in two passes)', () => {
  let large: FlowModel;
  beforeAll(async () => {
    large = await loadModel(await shippedModelVariant(dir, 'large', { highResolution: { mode: 'refine', strength: 0.3 } }));
  }, 120_000);
  afterAll(async () => large?.release());

  it('renders 128x128 at the base size first, then refines it at 128x128: the same pixels as by hand, recorded in the file', async () => {
    const steps: Array<[number, number]> = [];
    const result = await large.generate({ prompt, seed: 7, steps: 4, width: 128, height: 128 }, { onProgress: (p) => steps.push([p.step, p.total]) });
    const image = await decodeOutputImage(result.images[0]!.data);
    expect([image.width, image.height]).toEqual([128, 128]);
    expect(image.parameters).toMatchObject({ high_resolution: 'refine', refine_strength: '0.3', size: '128x128', seed: '7' });
    expect(image.parameters.ultra_mode).toBeUndefined();
    expect(steps).toEqual([[1, 5], [2, 5], [3, 5], [4, 5], [5, 5]]);
    const base = await large.generate({ prompt, seed: 7, steps: 4, width: 64, height: 64 });
    const init = await initFromImageFile(large, base.images[0]!.data, 128, 128);
    const byHand = await native.generate({ prompt, seed: 7, steps: 4, width: 128, height: 128, init, strength: 0.3 });
    expect(Buffer.from(image.rgb).equals(Buffer.from((await decodeOutputImage(byHand.images[0]!.data)).rgb))).toBe(true);
    // a model without highResolution renders 128x128 natively: other pixels, no refine record
    const plain = await decodeOutputImage((await native.generate({ prompt, seed: 7, steps: 4, width: 128, height: 128 })).images[0]!.data);
    expect(plain.parameters.high_resolution).toBeUndefined();
    expect(Buffer.from(plain.rgb).equals(Buffer.from(image.rgb))).toBe(false);
  }, 120_000);

  it('leaves sizes up to 1.5x the base pixels, image-to-image and ultra as they were', async () => {
    const small = await decodeOutputImage((await large.generate({ prompt, seed: 7, steps: 4, width: 96, height: 64 })).images[0]!.data);
    expect(small.parameters.high_resolution).toBeUndefined();
    const ultra = await decodeOutputImage((await large.generate({ prompt, seed: 7, steps: 4, ultra: true })).images[0]!.data);
    expect(ultra.parameters).toMatchObject({ ultra: 'true' });
    expect(ultra.parameters.high_resolution).toBeUndefined();
    const init = await initFromImageFile(large, (await large.generate({ prompt, seed: 1, steps: 4, width: 64, height: 64 })).images[0]!.data, 128, 128);
    const i2i = await decodeOutputImage((await large.generate({ prompt, seed: 7, steps: 4, width: 128, height: 128, init, strength: 0.5 })).images[0]!.data);
    expect(i2i.parameters).toMatchObject({ strength: '0.5' });
    expect(i2i.parameters.high_resolution).toBeUndefined();
  }, 120_000);
});

describe('firstPassSize and rendersInTwoPasses', () => {
  const manifest = { baseSize: { width: 64, height: 64 }, defaultSize: { width: 64, height: 64 }, resolution: { min: 32, max: 256, multiple: 16 }, highResolution: { mode: 'refine' as const } };
  it('keeps the aspect ratio near the base pixel count and prefers a trained size that is not itself large', () => {
    expect(firstPassSize(manifest as never, 256, 256)).toEqual({ width: 64, height: 64 });
    expect(firstPassSize(manifest as never, 256, 128)).toEqual({ width: 96, height: 48 });
    const trained = [{ width: 64, height: 64 }, { width: 96, height: 48 }, { width: 256, height: 128 }, { width: 128, height: 64 }];
    expect(firstPassSize({ ...manifest, trainedSizes: trained } as never, 256, 128)).toEqual({ width: 96, height: 48 });
    for (const [w, h] of [[256, 256], [256, 128], [32, 256], [160, 96]]) {
      const first = firstPassSize({ ...manifest, trainedSizes: trained } as never, w!, h!);
      expect(rendersInTwoPasses(manifest as never, { width: first.width, height: first.height } as never), `${w}x${h} → ${first.width}x${first.height}`).toBe(false);
    }
  });
});
