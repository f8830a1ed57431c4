import { describe, expect, it } from 'vitest';
import { moderateImages } from './output-moderation.js';
import { OnnxClock, type Feed, type SubModel } from './session.js';

/** The classifier's input as first written: a box filter over f×f pixels for every factor, 1 included. */
function referenceInput(images: Uint8Array[], width: number, height: number, maxSide?: number): Float32Array {
  const f = maxSide ? Math.max(1, Math.ceil(Math.max(width, height) / maxSide)) : 1;
  const w = Math.floor(width / f), h = Math.floor(height / f), plane = w * h;
  const data = new Float32Array(images.length * 3 * plane);
  const scale = 1 / (255 * f * f);
  images.forEach((rgb, b) => {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const sum = [0, 0, 0];
        for (let dy = 0; dy < f; dy++) {
          for (let dx = 0; dx < f; dx++) {
            for (let c = 0; c < 3; c++) sum[c] += rgb[((y * f + dy) * width + x * f + dx) * 3 + c];
          }
        }
        for (let c = 0; c < 3; c++) data[(b * 3 + c) * plane + y * w + x] = sum[c] * scale;
      }
    }
  });
  return data;
}

describe('moderateImages', () => {
  it('feeds the classifier the same values as the box filter at every size, one-pixel boxes included', async () => {
    let seed = 11;
    const byte = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (const [width, height, maxSide, batch] of [
      [64, 64, 96, 1], [96, 96, 96, 2], [48, 96, 96, 3], [32, 32, undefined, 1], [256, 256, undefined, 1], // f = 1
      [128, 64, 96, 2], [256, 256, 96, 1], [200, 30, 96, 1], [97, 97, 96, 4], // f > 1
    ] as const) {
      const images = Array.from({ length: batch }, () => Uint8Array.from({ length: width * height * 3 }, byte));
      let fed: Feed | undefined;
      const classifier = {
        run: async (feeds: Record<string, Feed>) => {
          fed = feeds.images;
          return { scores: { data: Float32Array.from({ length: batch }, (_, b) => b / batch), dims: [batch, 1] } };
        },
      } as unknown as SubModel;
      const config = { classifier: 'c.onnx', labels: ['x'], thresholds: { x: 0.5 }, ...(maxSide ? { maxSide } : {}) };
      const verdicts = await moderateImages(classifier, config, images, width, height, new OnnxClock());
      const expected = referenceInput(images, width, height, maxSide);
      expect(fed!.data.length, `${width}x${height}`).toBe(expected.length);
      expect(Buffer.from(fed!.data.buffer).equals(Buffer.from(expected.buffer)), `${width}x${height}`).toBe(true);
      expect(verdicts.map((v) => v.flagged)).toEqual(Array.from({ length: batch }, (_, b) => b / batch >= 0.5));
    }
  });
});
