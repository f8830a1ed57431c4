import zlib from 'node:zlib';
import { decode } from 'fast-png';

/** clamp((x+1)/2, 0, 1) rounded to 8 bits; NaN fails both comparisons and becomes 0 */
function toByte(x: number): number {
  const v = ((x + 1) / 2) * 255;
  return v > 0 ? (v < 255 ? Math.round(v) : 255) : 0;
}

/** Converts decoder output images [B,3,H,W] in [-1,1] to interleaved RGB8, one array per image. */
export function imagesToRgb8(data: Float32Array, batch: number, width: number, height: number): Uint8Array[] {
  const plane = width * height;
  const out: Uint8Array[] = [];
  for (let b = 0; b < batch; b++) {
    const rgb = new Uint8Array(plane * 3);
    const r = b * 3 * plane, g = r + plane, bl = g + plane;
    // one pass writing the output in order (reading three planes) is ~3x faster than a pass per plane
    for (let p = 0, o = 0; p < plane; p++, o += 3) {
      rgb[o] = toByte(data[r + p]);
      rgb[o + 1] = toByte(data[g + p]);
      rgb[o + 2] = toByte(data[bl + p]);
    }
    out.push(rgb);
  }
  return out;
}

// tEXt chunks are Latin-1: other characters are written as \u{XXXX} escapes.
function latin1(text: string): string {
  return text.replace(/[^\x20-\x7e\xa0-\xff\n]/gu, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

/**
 * zlib level of the image data. 1 (fastest) costs about a tenth of what a pure-JavaScript
 * encoder took at 64x64 and keeps files within ~1.3x of level 6; outputs are small next to
 * the render time either way.
 */
export const PNG_DEFLATE_LEVEL = 1;

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, zlib.crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function textChunk(keyword: string, text: string): Uint8Array {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword)) throw new Error(`PNG text keyword "${keyword}" must be 1-79 Latin-1 characters`);
  return chunk('tEXt', Buffer.from(`${keyword}\0${latin1(text)}`, 'latin1'));
}

/**
 * Encodes RGB8 pixels as a PNG with tEXt chunks: IHDR, IDAT (filter None on every row,
 * deflated by node's native zlib), the text chunks, IEND. Deterministic for the same input
 * (zlib has no randomness and no timestamps are written).
 */
export function encodePng(rgb: Uint8Array, width: number, height: number, text: Record<string, string>): Uint8Array {
  if (rgb.length !== width * height * 3) throw new Error(`encodePng: ${rgb.length} bytes for ${width}x${height} RGB8 (expected ${width * height * 3})`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolor RGB, deflate, adaptive filtering, no interlace
  // every scanline: filter byte 0 (None) + the row's pixels
  const stride = width * 3;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const idat = zlib.deflateSync(raw, { level: PNG_DEFLATE_LEVEL });
  const parts = [
    PNG_SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', idat),
    ...Object.entries(text).map(([k, v]) => textChunk(k, v)),
    chunk('IEND', new Uint8Array(0)),
  ];
  // its own ArrayBuffer (not Node's shared pool): render threads transfer it to the main thread
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    png.set(p, at);
    at += p.length;
  }
  return png;
}

export interface DecodedRgb {
  width: number;
  height: number;
  /** interleaved RGB8 */
  rgb: Uint8Array;
  text: Record<string, string>;
}

/** Decodes an 8-bit RGB or RGBA PNG into RGB8 (alpha dropped) plus its text chunks. */
export function decodePngRgb(bytes: Uint8Array): DecodedRgb {
  const png = decode(bytes);
  if (png.depth !== 8 || (png.channels !== 3 && png.channels !== 4)) {
    throw new Error(`unsupported PNG: depth ${png.depth}, ${png.channels} channels`);
  }
  const n = png.width * png.height;
  let rgb: Uint8Array;
  if (png.channels === 3) rgb = Uint8Array.from(png.data as Uint8Array);
  else {
    rgb = new Uint8Array(n * 3);
    for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = png.data[p * 4 + c];
  }
  return { width: png.width, height: png.height, rgb, text: png.text };
}
