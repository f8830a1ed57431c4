import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError, PipelineInputError, loadModel, type FlowModel, type ImageInput } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const shipped = path.join(here, '..', '..', '..', 'models', 'tiny-shapes');
const mini = path.join(here, '..', 'test-fixtures', 'mini');

/** A blue square on a yellow background, the kind of scene the shipped model draws. */
function scene(width: number, height: number): ImageInput {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = Math.abs(x + 0.5 - width / 2) < height / 5 && Math.abs(y + 0.5 - height / 2) < height / 5;
      rgb.set(inside ? [40, 90, 220] : [240, 215, 40], (y * width + x) * 3);
    }
  }
  return { rgb, width, height };
}

const psnr = (a: Uint8Array, b: Uint8Array) => {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
};

describe('encodeImage on the shipped tiny-shapes model', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(shipped);
  });
  afterAll(() => model?.release());

  it('encodes to packed latents in the sampling space and decodes back to the same picture', async () => {
    expect(model.canEncodeImages).toBe(true);
    const img = scene(96, 64);
    const enc = await model.encodeImage([img, scene(96, 64)]);
    expect(enc.dims).toEqual([2, (64 / 16) * (96 / 16), 64]);
    expect(enc.latents.length).toBe(2 * 24 * 64);
    // normalized by the manifest's shift and scale: about unit spread, like the noise it is mixed with
    let s = 0, s2 = 0;
    for (const v of enc.latents) [s, s2] = [s + v, s2 + v * v];
    const std = Math.sqrt(s2 / enc.latents.length - (s / enc.latents.length) ** 2);
    expect(std).toBeGreaterThan(0.5);
    expect(std).toBeLessThan(1.6);
    const [back] = await model.decodeLatents(enc.latents.subarray(0, 24 * 64), 96, 64);
    expect(psnr(back, img.rgb)).toBeGreaterThanOrEqual(28);
  });

  it('rejects sizes the model cannot take and mixed sizes in one batch', async () => {
    await expect(model.encodeImage([scene(72, 64)])).rejects.toThrow(/image 0: width must be a multiple of 16/);
    await expect(model.encodeImage([scene(64, 512)])).rejects.toThrow(PipelineInputError);
    await expect(model.encodeImage([scene(64, 64), scene(128, 64)])).rejects.toThrow(/share a size/);
    await expect(model.encodeImage([{ rgb: new Uint8Array(10), width: 64, height: 64 }])).rejects.toThrow(/RGB8 bytes/);
    await expect(model.encodeImage([])).rejects.toThrow(/no images/);
  });
});

describe('models without a usable encoder', () => {
  it('says the model has no VAE encoder', async () => {
    const model = await loadModel(mini);
    try {
      expect(model.canEncodeImages).toBe(false);
      await expect(model.encodeImage([scene(64, 64)])).rejects.toThrow(/model mini has no VAE encoder/);
    } finally {
      await model.release();
    }
  });

  it('refuses an encoder file whose tensors do not have the FLUX names', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ff-encoder-'));
    try {
      cpSync(mini, dir, { recursive: true });
      const manifest = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
      manifest.files.vaeEncoder = 'vae_decoder.onnx'; // input "latent", not "images"
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
      const err = await loadModel(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelLoadError);
      expect((err as Error).message).toMatch(/^vae_decoder\.onnx: input "images" \[B,3,H,W\] float32.*missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
