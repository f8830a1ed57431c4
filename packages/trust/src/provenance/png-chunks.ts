// PNG chunk surgery without decoding pixels: list the chunks, add or remove one text chunk.
// Used to embed the provenance record and to hash "the file without it" when verifying.

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface PngChunk {
  type: string;
  /** offset of the chunk's length field in the file */
  start: number;
  /** offset just past its CRC */
  end: number;
  data: Uint8Array;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** The file's chunks in order; throws on a truncated or malformed file. */
export function readPngChunks(bytes: Uint8Array): PngChunk[] {
  if (!isPng(bytes)) throw new Error('not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  let at = 8;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) throw new Error('truncated PNG chunk');
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (end > bytes.length) throw new Error('truncated PNG chunk');
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    chunks.push({ type, start: at, end, data: bytes.subarray(at + 8, at + 8 + length) });
    at = end;
    if (type === 'IEND') break;
  }
  return chunks;
}

function chunkBytes(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An uncompressed iTXt chunk (UTF-8 text) with this keyword. */
export function itxtChunk(keyword: string, text: string): Uint8Array {
  const key = new TextEncoder().encode(keyword);
  const body = new TextEncoder().encode(text);
  // keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0
  const data = new Uint8Array(key.length + 5 + body.length);
  data.set(key, 0);
  data.set(body, key.length + 5);
  return chunkBytes('iTXt', data);
}

/** keyword and text of an iTXt chunk (uncompressed only), or null. */
export function parseItxt(data: Uint8Array): { keyword: string; text: string } | null {
  const zero = data.indexOf(0);
  if (zero <= 0 || data[zero + 1] !== 0) return null;
  let at = zero + 3;
  const lang = data.indexOf(0, at);
  if (lang < 0) return null;
  const translated = data.indexOf(0, lang + 1);
  if (translated < 0) return null;
  at = translated + 1;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    return { keyword: decoder.decode(data.subarray(0, zero)), text: decoder.decode(data.subarray(at)) };
  } catch {
    return null;
  }
}

/** The file with `chunk` inserted just before IEND. */
export function insertBeforeIend(bytes: Uint8Array, chunk: Uint8Array): Uint8Array {
  const iend = readPngChunks(bytes).find((c) => c.type === 'IEND');
  if (!iend) throw new Error('PNG has no IEND chunk');
  const out = new Uint8Array(bytes.length + chunk.length);
  out.set(bytes.subarray(0, iend.start), 0);
  out.set(chunk, iend.start);
  out.set(bytes.subarray(iend.start), iend.start + chunk.length);
  return out;
}

/** The file without the given chunks (byte ranges from readPngChunks). */
export function withoutChunks(bytes: Uint8Array, remove: PngChunk[]): Uint8Array {
  if (remove.length === 0) return bytes;
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const chunk of [...remove].sort((a, b) => a.start - b.start)) {
    parts.push(bytes.subarray(at, chunk.start));
    at = chunk.end;
  }
  parts.push(bytes.subarray(at));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
