import { manifestSignatureValid, parseSignedProvenance, type ProvenanceManifest } from './manifest.js';
import { isPng } from './png-chunks.js';
import { readContainerProvenance } from './container-provenance.js';
import { pngPixelsRgb8, readPngProvenance, sha256Hex } from './png-provenance.js';
import type { KeyRing } from './signing-key.js';

/**
 * `valid`: signed by a published farm key and unchanged. `tampered`: a record is there but the
 * signature, the pixels or any other byte of the file no longer match it. `unsigned`: no
 * record. `unknown_key`: signed by a key this farm does not publish (another farm, or revoked).
 */
export type ProvenanceStatus = 'valid' | 'tampered' | 'unsigned' | 'unknown_key';

export interface ProvenanceCheck {
  status: ProvenanceStatus;
  format: 'png' | 'jpeg' | 'webp' | 'unknown';
  kid?: string;
  /** the embedded manifest (also when tampered: it says what the file claimed) */
  manifest?: ProvenanceManifest;
  /** what did not match, for people */
  problems: string[];
}

export function imageFormat(bytes: Uint8Array): ProvenanceCheck['format'] {
  if (isPng(bytes)) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  if (String.fromCharCode(...bytes.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP') return 'webp';
  return 'unknown';
}

/** Checks the provenance record embedded in an image file against the farm's public keys. */
export function verifyImageProvenance(bytes: Uint8Array, ring: KeyRing): ProvenanceCheck {
  const format = imageFormat(bytes);
  if (format === 'unknown') return { status: 'unsigned', format, problems: ['not a PNG, JPEG or WebP file'] };
  let found: { texts: string[]; withoutRecord: Uint8Array };
  try {
    found = format === 'png' ? readPngProvenance(bytes) : readContainerProvenance(bytes, format);
  } catch (err) {
    return { status: 'unsigned', format, problems: [`unreadable ${format.toUpperCase()}: ${(err as Error).message}`] };
  }
  if (found.texts.length === 0) return { status: 'unsigned', format, problems: ['no provenance record'] };
  if (found.texts.length > 1) return { status: 'tampered', format, problems: ['more than one provenance record'] };
  const record = parseSignedProvenance(found.texts[0]);
  if (!record) return { status: 'tampered', format, problems: ['the provenance record is malformed'] };
  const base = { format, kid: record.kid, manifest: record.manifest };
  if (!ring.has(record.kid)) return { ...base, status: 'unknown_key', problems: [`signed with key ${record.kid}, which this farm does not publish`] };
  const problems: string[] = [];
  if (!manifestSignatureValid(record, ring)) problems.push('the signature does not match the manifest');
  const image = record.manifest.image;
  if (image.content_type !== `image/${format}`) problems.push(`the record is for ${image.content_type}, the file is ${format}`);
  // PNG pixels are decoded and compared on their own (a lossless re-encode keeps them); in JPEG
  // and WebP the compressed pixels are part of the file hash below, so any change shows there.
  if (format === 'png') {
    let pixels: ReturnType<typeof pngPixelsRgb8> | null = null;
    try {
      pixels = pngPixelsRgb8(found.withoutRecord);
    } catch (err) {
      problems.push(`the pixels cannot be decoded: ${(err as Error).message}`);
    }
    if (pixels && (pixels.width !== image.width || pixels.height !== image.height)) problems.push('the image size differs from the manifest');
    else if (pixels && sha256Hex(pixels.rgb) !== image.pixels_sha256) problems.push('the pixels differ from the signed ones');
  }
  if (sha256Hex(found.withoutRecord) !== image.file_sha256) problems.push('the file differs from the signed one outside the record (pixels, metadata or encoding)');
  return { ...base, status: problems.length ? 'tampered' : 'valid', problems };
}
