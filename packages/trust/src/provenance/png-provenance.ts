import { createHash } from 'node:crypto';
import { decode } from 'fast-png';
import { type ProvenanceManifest, type SignedProvenance, MANIFEST_FORMAT, signManifest } from './manifest.js';
import { insertBeforeIend, itxtChunk, parseItxt, readPngChunks, withoutChunks, type PngChunk } from './png-chunks.js';
import type { SigningKey } from './signing-key.js';

/** Keyword of the iTXt chunk that carries the signed record. */
export const PROVENANCE_KEYWORD = 'flowfarm-provenance';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Decoded 8-bit pixels as RGB8 interleaved (alpha dropped, gray expanded). */
export function pngPixelsRgb8(png: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  const image = decode(png);
  if (image.depth !== 8) throw new Error(`unsupported PNG bit depth ${image.depth}`);
  const n = image.width * image.height;
  const src = image.data as Uint8Array;
  const channels = image.channels;
  if (channels === 3) return { width: image.width, height: image.height, rgb: src };
  const rgb = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = channels >= 3 ? src[p * channels + c] : src[p * channels];
  }
  return { width: image.width, height: image.height, rgb };
}

export const pixelsSha256 = (rgb: Uint8Array) => sha256(rgb);

export type ManifestFields = Omit<ProvenanceManifest, 'format' | 'image'>;

/**
 * Signs a PNG and embeds the record as an iTXt chunk before IEND. `pixels` (the RGB8 pixels the
 * PNG encodes, or their SHA-256 in hex) saves decoding the file when the caller has them: the
 * render pipeline reports the hash with every image, so a worker never decodes its own output.
 */
export function embedPngProvenance(png: Uint8Array, fields: ManifestFields, key: SigningKey, pixels?: Uint8Array | { sha256: string }): { png: Uint8Array; record: SignedProvenance } {
  const chunks = readPngChunks(png);
  const old = chunks.filter((c) => isProvenanceChunk(c));
  const clean = withoutChunks(png, old);
  const header = chunks.find((c) => c.type === 'IHDR')!.data;
  const width = new DataView(header.buffer, header.byteOffset).getUint32(0);
  const height = new DataView(header.buffer, header.byteOffset).getUint32(4);
  const pixelsHash = pixels instanceof Uint8Array ? sha256(pixels) : (pixels?.sha256 ?? sha256(pngPixelsRgb8(clean).rgb));
  const manifest: ProvenanceManifest = {
    format: MANIFEST_FORMAT,
    ...fields,
    image: { width, height, content_type: 'image/png', pixels_sha256: pixelsHash, file_sha256: sha256(clean) },
  };
  const record = signManifest(manifest, key);
  return { png: insertBeforeIend(clean, itxtChunk(PROVENANCE_KEYWORD, JSON.stringify(record))), record };
}

function isProvenanceChunk(chunk: PngChunk): boolean {
  return (chunk.type === 'iTXt' && parseItxt(chunk.data)?.keyword === PROVENANCE_KEYWORD) || (chunk.type === 'tEXt' && startsWithKeyword(chunk.data));
}

function startsWithKeyword(data: Uint8Array): boolean {
  const key = PROVENANCE_KEYWORD;
  if (data.length <= key.length || data[key.length] !== 0) return false;
  for (let i = 0; i < key.length; i++) if (data[i] !== key.charCodeAt(i)) return false;
  return true;
}

/** The provenance chunks of a PNG with their text, and the file without them (for hashing). */
export function readPngProvenance(png: Uint8Array): { texts: string[]; withoutRecord: Uint8Array } {
  const chunks = readPngChunks(png);
  const found = chunks.filter(isProvenanceChunk);
  const texts = found.map((c) => (c.type === 'iTXt' ? parseItxt(c.data)!.text : new TextDecoder('latin1').decode(c.data.subarray(PROVENANCE_KEYWORD.length + 1))));
  return { texts, withoutRecord: withoutChunks(png, found) };
}

export { sha256 as sha256Hex };
