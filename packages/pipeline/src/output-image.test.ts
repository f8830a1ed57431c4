// Output formats on the shipped model: every format decodes to the rendered picture, carries
// the parameters, and repeats byte for byte.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOutputImage, encodeOutputImage, loadModel, parametersFromXmp, type FlowModel } from './index.js';
import { parametersToXmp } from './output-image.js';

const shipped = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'tiny-shapes');
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Mean absolute difference per channel, 0-255. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('XMP parameters', () => {
  it('round-trips text XML would misread, and refuses keys that are not XML names', () => {
    const p = { prompt: 'a <red> & "blue" circle — ✓', seed: '7' };
    expect(parametersFromXmp(parametersToXmp(p))).toEqual(p);
    expect(() => parametersToXmp({ 'two words': 'x' })).toThrow(/not an XML name/);
  });
});

describe('output formats on tiny-shapes', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(shipped, { intraOpThreads: 1 });
  });
  afterAll(() => model.release());

  const prompt = 'a large red circle in the center on a blue background';

  it('writes jpeg and webp that decode to the png picture and carry every parameter', async () => {
    const png = await model.generate({ prompt, seed: 11 });
    const reference = await decodeOutputImage(png.images[0].data);
    for (const format of ['jpeg', 'webp'] as const) {
      const r = await model.generate({ prompt, seed: 11, outputFormat: format, outputQuality: 90 });
      const image = r.images[0];
      expect(image.contentType).toBe(`image/${format}`);
      const decoded = await decodeOutputImage(image.data);
      expect(decoded).toMatchObject({ format, width: 64, height: 64 });
      expect(decoded.parameters).toMatchObject({ prompt, seed: '11', steps: '4', size: '64x64', model: 'tiny-shapes', format, quality: '90' });
      // lossy, but the same picture: a few levels of error per channel on average
      expect(meanDiff(decoded.rgb, reference.rgb)).toBeLessThan(6);
    }
  });

  it('gives the same bytes for the same inputs, and other bytes for another quality', async () => {
    for (const format of ['jpeg', 'webp'] as const) {
      const a = await model.generate({ prompt, seed: 5, outputFormat: format, outputQuality: 80 });
      const b = await model.generate({ prompt, seed: 5, outputFormat: format, outputQuality: 80 });
      const c = await model.generate({ prompt, seed: 5, outputFormat: format, outputQuality: 40 });
      expect(same(a.images[0].data, b.images[0].data)).toBe(true);
      expect(same(a.images[0].data, c.images[0].data)).toBe(false);
      expect(c.images[0].data.byteLength).toBeLessThan(a.images[0].data.byteLength);
    }
  });

  it('refuses an unknown format or a quality outside 1-100', async () => {
    await expect(model.generate({ prompt, outputFormat: 'gif' as never })).rejects.toThrow(/outputFormat must be one of png, jpeg, webp/);
    await expect(model.generate({ prompt, outputFormat: 'jpeg', outputQuality: 0 })).rejects.toThrow(/outputQuality must be an integer from 1 to 100/);
  });

  it('encodes pixels it was not given by the model too (the encoder alone)', async () => {
    const rgb = new Uint8Array(32 * 16 * 3).fill(200);
    const file = await encodeOutputImage(rgb, 32, 16, { format: 'webp', quality: 70, parameters: { prompt: 'x' } });
    const back = await decodeOutputImage(file.data);
    expect([back.width, back.height, back.parameters.prompt]).toEqual([32, 16, 'x']);
  });
});
