import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { decodePngRgb, encodePng, imagesToRgb8 } from './png.js';

describe('imagesToRgb8', () => {
  it('maps [-1,1] to 0..255, clamps outside, and interleaves planes', () => {
    // one 2x1 image: R plane, G plane, B plane
    const data = Float32Array.from([-1, 1, 0, 3, -5, NaN]);
    const [rgb] = imagesToRgb8(data, 1, 2, 1);
    expect(Array.from(rgb)).toEqual([0, 128, 0, 255, 255, 0]);
  });

  it('rounds as Math.round on the scaled value, at every half and integer and in between', () => {
    const reference = (x: number) => {
      const v = ((x + 1) / 2) * 255;
      return v > 0 ? (v < 255 ? Math.round(v) : 255) : 0;
    };
    // x = k/255 − 1 scales to k/2: every half and integer of 0..255.5, with its float32 neighbours
    const bits = new Uint32Array(1), float = new Float32Array(bits.buffer);
    const edges = Array.from({ length: 512 }, (_, k) => Math.fround(k / 255 - 1)).flatMap((x) => {
      float[0] = x;
      const u = bits[0];
      return [-2, -1, 0, 1, 2].map((d) => ((bits[0] = u + d), float[0]));
    });
    let seed = 7;
    const random = Array.from({ length: 20000 }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2.2 - 1.1);
    const xs = Float32Array.from([...edges, ...random, -1, 1, 0, -0, 1e-30, -1e-30, Infinity, -Infinity, NaN]);
    const [rgb] = imagesToRgb8(Float32Array.from([...xs, ...xs, ...xs]), 1, xs.length, 1);
    expect(Array.from(rgb.filter((_, i) => i % 3 === 0))).toEqual(Array.from(xs, reference));
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

describe('PNG decoding', () => {
  // noise and gradients, so libpng's adaptive filtering picks every filter type (Sub, Up, Average, Paeth)
  const image = (w: number, h: number, channels: number) =>
    Uint8Array.from({ length: w * h * channels }, (_, i) => (i % 7 === 0 ? (i * 2654435761) >>> 24 : (i * 3 + Math.floor(i / (w * channels)) * 5) & 0xff));

  it('reads what libpng writes with every filter type, RGB and RGBA (alpha dropped), to the pixels libvips reads', async () => {
    for (const [w, h, channels] of [[37, 23, 3], [64, 64, 4], [1, 5, 3], [16, 1, 4]] as const) {
      const png = await sharp(image(w, h, channels), { raw: { width: w, height: h, channels } })
        .png({ adaptiveFiltering: true, compressionLevel: 9 })
        .toBuffer();
      const expected = await sharp(png).removeAlpha().raw().toBuffer();
      const back = decodePngRgb(png);
      expect([back.width, back.height]).toEqual([w, h]);
      expect(Buffer.from(back.rgb).equals(expected), `${w}x${h}x${channels}`).toBe(true);
    }
  });

  it('undoes each of the five scanline filters (a PNG written here with row y filtered by type y mod 5)', () => {
    const [w, h, channels] = [9, 10, 4];
    const pixels = image(w, h, channels);
    const stride = w * channels;
    const raw = new Uint8Array((stride + 1) * h);
    for (let y = 0; y < h; y++) {
      const type = y % 5;
      raw[y * (stride + 1)] = type;
      for (let i = 0; i < stride; i++) {
        const x = pixels[y * stride + i];
        const a = i >= channels ? pixels[y * stride + i - channels] : 0;
        const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
        const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
        const p = a + b - c;
        const nearest = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
        const predictor = [0, a, b, Math.floor((a + b) / 2), nearest][type];
        raw[y * (stride + 1) + 1 + i] = (x - predictor + 256) % 256;
      }
    }
    const chunk = (type: string, data: Uint8Array) => {
      const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
      const head = Buffer.alloc(4);
      head.writeUInt32BE(data.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlib.crc32(body));
      return Buffer.concat([head, body, crc]);
    };
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr.set([8, 6, 0, 0, 0], 8);
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr), chunk('tEXt', Buffer.from('seed\u00007', 'latin1')), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', new Uint8Array(0)),
    ]);
    const back = decodePngRgb(png);
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => pixels[Math.floor(i / 3) * 4 + (i % 3)]);
    expect(Array.from(back.rgb)).toEqual(Array.from(rgb));
    expect(back.text).toEqual({ seed: '7' });
  });

  it('refuses what it does not read (interlaced, 16-bit, grey) and what is not a PNG, with the reason', async () => {
    const rgb = image(8, 8, 3);
    const interlaced = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } }).png({ progressive: true }).toBuffer();
    expect(() => decodePngRgb(interlaced)).toThrow('unsupported PNG: interlaced');
    const deep = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } }).toColourspace('rgb16').png().toBuffer();
    expect(() => decodePngRgb(deep)).toThrow('unsupported PNG: depth 16, 3 channels');
    const grey = await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } }).toColourspace('b-w').png().toBuffer();
    expect(() => decodePngRgb(grey)).toThrow('unsupported PNG: depth 8, 1 channels');
    expect(() => decodePngRgb(Buffer.from('GIF89a'))).toThrow(/not a PNG/);
    const png = encodePng(rgb, 8, 8, {});
    expect(() => decodePngRgb(png.subarray(0, png.length - 20))).toThrow(/truncated PNG/);
  });
});
