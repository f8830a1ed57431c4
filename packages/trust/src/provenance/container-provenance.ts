// Signed provenance in JPEG and WebP files. The record sits in a segment of its own — a JPEG
// APP15 segment named "flowfarm-provenance", a WebP RIFF chunk "FFPV" at the end — so removing
// it gives back exactly the bytes that were signed (file_sha256), as the PNG iTXt chunk does.
// (The XMP packet already carries the generation parameters; rewriting it to hold the record
// would change the bytes the record describes.) Any change to the compressed pixels or to the
// metadata changes file_sha256, so verification needs no decode; pixels_sha256 records the
// decoded pixels at signing time.
import { createHash } from 'node:crypto';
import { type ProvenanceManifest, type SignedProvenance, MANIFEST_FORMAT, signManifest } from './manifest.js';
import type { ManifestFields } from './png-provenance.js';
import type { SigningKey } from './signing-key.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const JPEG_MARKER = 0xef; // APP15
const JPEG_NAME = new TextEncoder().encode('flowfarm-provenance\0');
const WEBP_CHUNK = 'FFPV';

interface Found {
  texts: string[];
  /** the file without the record segments */
  withoutRecord: Uint8Array;
}

// ---------------------------------------------------------------- JPEG

interface Segment {
  marker: number;
  start: number;
  end: number;
}

/** The marker segments before the image data (SOS ends the walk). */
function jpegSegments(jpeg: Uint8Array): Segment[] {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG file');
  const out: Segment[] = [];
  let at = 2;
  while (at + 4 <= jpeg.length) {
    if (jpeg[at] !== 0xff) throw new Error(`JPEG marker expected at byte ${at}`);
    const marker = jpeg[at + 1];
    if (marker === 0xd9 || marker === 0xda) break;
    const length = (jpeg[at + 2] << 8) | jpeg[at + 3];
    if (length < 2 || at + 2 + length > jpeg.length) throw new Error(`truncated JPEG segment at byte ${at}`);
    out.push({ marker, start: at, end: at + 2 + length });
    at += 2 + length;
  }
  return out;
}

function isRecordSegment(jpeg: Uint8Array, s: Segment): boolean {
  if (s.marker !== JPEG_MARKER || s.end - s.start < 4 + JPEG_NAME.length) return false;
  return JPEG_NAME.every((b, i) => jpeg[s.start + 4 + i] === b);
}

function readJpeg(jpeg: Uint8Array): Found {
  const records = jpegSegments(jpeg).filter((s) => isRecordSegment(jpeg, s));
  const texts = records.map((s) => new TextDecoder().decode(jpeg.subarray(s.start + 4 + JPEG_NAME.length, s.end)));
  return { texts, withoutRecord: cut(jpeg, records) };
}

function insertJpeg(jpeg: Uint8Array, text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const length = 2 + JPEG_NAME.length + body.length;
  if (length > 0xffff) throw new Error('provenance record too large for a JPEG segment');
  const segment = new Uint8Array(2 + length);
  segment.set([0xff, JPEG_MARKER, length >> 8, length & 0xff]);
  segment.set(JPEG_NAME, 4);
  segment.set(body, 4 + JPEG_NAME.length);
  // after the leading APPn/COM segments (JFIF, EXIF, XMP stay first), before the tables
  const lead = jpegSegments(jpeg).find((s) => !((s.marker >= 0xe0 && s.marker <= 0xef) || s.marker === 0xfe));
  const at = lead ? lead.start : 2;
  return concat(jpeg.subarray(0, at), segment, jpeg.subarray(at));
}

// ---------------------------------------------------------------- WebP

interface Chunk {
  fourcc: string;
  start: number;
  end: number;
}

function webpChunks(webp: Uint8Array): Chunk[] {
  const view = new DataView(webp.buffer, webp.byteOffset, webp.byteLength);
  const out: Chunk[] = [];
  let at = 12;
  while (at + 8 <= webp.length) {
    const fourcc = String.fromCharCode(...webp.subarray(at, at + 4));
    const size = view.getUint32(at + 4, true);
    const end = at + 8 + size + (size & 1);
    if (end > webp.length) throw new Error(`truncated WebP chunk ${fourcc}`);
    out.push({ fourcc, start: at, end });
    at = end;
  }
  return out;
}

function withRiffSize(webp: Uint8Array): Uint8Array {
  const out = Uint8Array.from(webp);
  new DataView(out.buffer).setUint32(4, out.length - 8, true);
  return out;
}

function readWebp(webp: Uint8Array): Found {
  const records = webpChunks(webp).filter((c) => c.fourcc === WEBP_CHUNK);
  const view = new DataView(webp.buffer, webp.byteOffset, webp.byteLength);
  const texts = records.map((c) => new TextDecoder().decode(webp.subarray(c.start + 8, c.start + 8 + view.getUint32(c.start + 4, true))));
  return { texts, withoutRecord: records.length ? withRiffSize(cut(webp, records)) : webp };
}

function appendWebp(webp: Uint8Array, text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const chunk = new Uint8Array(8 + body.length + (body.length & 1));
  chunk.set(new TextEncoder().encode(WEBP_CHUNK));
  new DataView(chunk.buffer).setUint32(4, body.length, true);
  chunk.set(body, 8);
  return withRiffSize(concat(webp, chunk));
}

// ---------------------------------------------------------------- shared

function cut(bytes: Uint8Array, parts: Array<{ start: number; end: number }>): Uint8Array {
  const kept: Uint8Array[] = [];
  let at = 0;
  for (const p of parts) {
    kept.push(bytes.subarray(at, p.start));
    at = p.end;
  }
  kept.push(bytes.subarray(at));
  return concat(...kept);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The record texts of a JPEG or WebP file and the file without them. */
export function readContainerProvenance(bytes: Uint8Array, format: 'jpeg' | 'webp'): Found {
  return format === 'jpeg' ? readJpeg(bytes) : readWebp(bytes);
}

/**
 * Signs a JPEG or WebP file and embeds the record. `pixelsSha256` is the SHA-256 of the file's
 * decoded RGB8 pixels (the caller decodes: the trust package stays free of image codecs here).
 */
export function embedContainerProvenance(
  bytes: Uint8Array,
  format: 'jpeg' | 'webp',
  fields: ManifestFields,
  key: SigningKey,
  image: { width: number; height: number; pixelsSha256: string },
): { file: Uint8Array; record: SignedProvenance } {
  const clean = readContainerProvenance(bytes, format).withoutRecord;
  const manifest: ProvenanceManifest = {
    format: MANIFEST_FORMAT,
    ...fields,
    image: { width: image.width, height: image.height, content_type: `image/${format}`, pixels_sha256: image.pixelsSha256, file_sha256: sha256(clean) },
  };
  const record = signManifest(manifest, key);
  const text = JSON.stringify(record);
  return { file: format === 'jpeg' ? insertJpeg(clean, text) : appendWebp(clean, text), record };
}
