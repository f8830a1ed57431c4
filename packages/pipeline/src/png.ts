import { decode, encode } from 'fast-png';

/** Converts decoder output images [B,3,H,W] in [-1,1] to interleaved RGB8, one array per image. */
export function imagesToRgb8(data: Float32Array, batch: number, width: number, height: number): Uint8Array[] {
  const plane = width * height;
  const out: Uint8Array[] = [];
  for (let b = 0; b < batch; b++) {
    const rgb = new Uint8Array(plane * 3);
    const base = b * 3 * plane;
    for (let c = 0; c < 3; c++) {
      const src = base + c * plane;
      for (let p = 0; p < plane; p++) {
        const v = (data[src + p] + 1) / 2;
        // clamp((x+1)/2, 0, 1) then round to 8 bits; NaN becomes 0
        rgb[p * 3 + c] = v > 0 ? (v < 1 ? Math.round(v * 255) : 255) : 0;
      }
    }
    out.push(rgb);
  }
  return out;
}

// tEXt chunks are Latin-1: other characters are written as \u{XXXX} escapes.
function latin1(text: string): string {
  return text.replace(/[^\x20-\x7e\xa0-\xff\n]/gu, (ch) => `\\u{${ch.codePointAt(0)!.toString(16)}}`);
}

/** Encodes RGB8 pixels as a PNG with tEXt chunks (deterministic for the same input). */
export function encodePng(rgb: Uint8Array, width: number, height: number, text: Record<string, string>): Uint8Array {
  const safeText: Record<string, string> = {};
  for (const [k, v] of Object.entries(text)) safeText[k] = latin1(v);
  return encode({ width, height, data: rgb, channels: 3, depth: 8, text: safeText });
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
