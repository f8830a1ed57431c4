import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodePngRgb, encodePng, imagesToRgb8 } from './png.js';

describe('imagesToRgb8', () => {
  it('maps [-1,1] to 0..255, clamps outside, and interleaves planes', () => {
    // one 2x1 image: R plane, G plane, B plane
    const data = Float32Array.from([-1, 1, 0, 3, -5, NaN]);
    const [rgb] = imagesToRgb8(data, 1, 2, 1);
    expect(Array.from(rgb)).toEqual([0, 128, 0, 255, 255, 0]);
  });
});

describe('PNG encoding', () => {
  const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
  const text = { prompt: 'a red circle — “quoted” ✓', seed: '42', steps: '4', size: '4x3', model: 'tiny', pipeline: 'p 1' };

  it('round-trips pixels and text chunks', () => {
    const png = encodePng(rgb, 4, 3, text);
    const back = decodePngRgb(png);
    expect(back.width).toBe(4);
    expect(back.height).toBe(3);
    expect(Array.from(back.rgb)).toEqual(Array.from(rgb));
    expect(back.text.seed).toBe('42');
    expect(back.text.model).toBe('tiny');
    expect(back.text.pipeline).toBe('p 1');
    // non-Latin-1 characters survive as escapes, Latin-1 stays as is
    expect(back.text.prompt).toBe('a red circle \\u{2014} \\u{201c}quoted\\u{201d} \\u{2713}');
  });

  it('is a standard PNG other decoders read to the same pixels', async () => {
    const png = encodePng(rgb, 4, 3, text);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([4, 3, 3]);
    expect(Array.from(data)).toEqual(Array.from(rgb));
  });

  it('refuses pixels that do not match the size, and keywords PNG cannot hold', () => {
    expect(() => encodePng(rgb, 5, 3, {})).toThrow(/expected 45/);
    expect(() => encodePng(rgb, 4, 3, { ['x'.repeat(80)]: 'v' })).toThrow(/keyword/);
  });

  it('is byte-for-byte deterministic', () => {
    expect(Buffer.from(encodePng(rgb, 4, 3, text)).equals(Buffer.from(encodePng(rgb, 4, 3, text)))).toBe(true);
  });
});
