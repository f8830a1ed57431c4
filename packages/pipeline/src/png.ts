import zlib from 'node:zlib';

/**
 * clamp((x+1)/2, 0, 1) rounded to 8 bits, halves up (Math.round); NaN fails both comparisons
 * and becomes 0. `(v + 0.5) | 0` is Math.round for v ≥ 0.5 (v + 0.5 is exact there, or rounds
 * to a neighbour that never crosses an integer) and ~2.5x faster in V8; below 0.5 both give 0.
 */
function toByte(x: number): number {
  const v = ((x + 1) / 2) * 255;
  return v >= 0.5 ? (v < 254.5 ? (v + 0.5) | 0 : 255) : 0;
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

const latin1Text = new TextDecoder('latin1');

/** The Paeth predictor of the PNG spec (9.4): whichever of left, above and upper-left is nearest a + b − c. */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes an 8-bit RGB or RGBA PNG (not interlaced) into RGB8 (alpha dropped) plus its tEXt
 * chunks. Written here on node's zlib rather than with a PNG library: the one it replaced cost
 * ~25 ms of CPU to import, in every process that loads the pipeline (`flowfarm generate` among
 * them), for a function that only tests, evals and decodeOutputImage call.
 */
export function decodePngRgb(bytes: Uint8Array): DecodedRgb {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG (wrong signature)');
  let width = 0, height = 0, depth = 0, colorType = -1, interlace = 0;
  const idat: Buffer[] = [];
  const text: Record<string, string> = {};
  for (let pos = 8; ;) {
    if (pos + 8 > buf.length) throw new Error('truncated PNG (no IEND chunk)');
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + length);
    if (data.length !== length || pos + 12 + length > buf.length) throw new Error(`truncated PNG (chunk ${type})`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8];
      colorType = data[9];
      interlace = data[12];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'tEXt') {
      const nul = data.indexOf(0);
      if (nul > 0) text[latin1Text.decode(data.subarray(0, nul))] = latin1Text.decode(data.subarray(nul + 1));
    } else if (type === 'IEND') break;
    pos += 12 + length;
  }
  const channels = colorType === 2 ? 3 : colorType === 6 ? 4 : colorType === 0 || colorType === 3 ? 1 : colorType === 4 ? 2 : 0;
  if (depth !== 8 || (channels !== 3 && channels !== 4)) {
    throw new Error(`unsupported PNG: depth ${depth}, ${channels} channels`);
  }
  if (interlace !== 0) throw new Error('unsupported PNG: interlaced');
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < (stride + 1) * height) throw new Error('truncated PNG image data');
  // undo each scanline's filter (PNG spec 9.2) in place, then keep R, G and B
  const rgb = new Uint8Array(width * height * 3);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? line[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
      const predicted = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : -1;
      if (predicted < 0) throw new Error(`PNG scanline ${y}: unknown filter type ${filter}`);
      line[i] = (line[i] + predicted) & 0xff;
    }
    for (let x = 0, o = y * width * 3; x < width; x++, o += 3) {
      rgb[o] = line[x * channels];
      rgb[o + 1] = line[x * channels + 1];
      rgb[o + 2] = line[x * channels + 2];
    }
    prev = line;
  }
  return { width, height, rgb, text };
}
