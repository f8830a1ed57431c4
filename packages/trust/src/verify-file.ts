import sharp from 'sharp';
import { pngPixelsRgb8 } from './provenance/png-provenance.js';
import type { KeyRing } from './provenance/signing-key.js';
import { verifyImageProvenance, type ProvenanceCheck } from './provenance/verify-image.js';
import { detectWatermark, type WatermarkDetection } from './watermark/detect-watermark.js';

export interface FileVerification extends ProvenanceCheck {
  /** Watermark detection; run when the provenance record does not settle the question (or when asked). */
  watermark: WatermarkDetection | null;
}

/** Format and size from an image's header, without decoding its pixels (null: not an image libvips reads). */
export async function imageHeader(bytes: Uint8Array): Promise<{ format: string; width: number; height: number } | null> {
  try {
    const m = await sharp(bytes).metadata();
    return m.width && m.height ? { format: m.format, width: m.width, height: m.height } : null;
  } catch {
    return null;
  }
}

/** Decoded pixels of a PNG, JPEG or WebP as RGB8 interleaved. */
export async function decodeImageRgb(bytes: Uint8Array): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    try {
      return pngPixelsRgb8(bytes);
    } catch {
      // 16-bit or palette PNGs: let libvips read them
    }
  }
  const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/**
 * What `flowfarm verify` and `POST /v1/verify` answer: the provenance record's status and, unless
 * the record is valid (it names the job already) or `watermark: 'always'`, the invisible
 * watermark — which survives metadata stripping, recompression, resizing and cropping.
 */
export async function verifyImageFile(bytes: Uint8Array, ring: KeyRing, options: { watermark?: 'auto' | 'always' | 'never' } = {}): Promise<FileVerification> {
  const check = verifyImageProvenance(bytes, ring);
  const mode = options.watermark ?? 'auto';
  if (mode === 'never' || (mode === 'auto' && check.status === 'valid') || check.format === 'unknown') return { ...check, watermark: null };
  let watermark: WatermarkDetection | null = null;
  try {
    const { width, height, rgb } = await decodeImageRgb(bytes);
    watermark = detectWatermark(rgb, width, height);
  } catch (err) {
    check.problems.push(`pixels could not be decoded for the watermark: ${(err as Error).message}`);
  }
  return { ...check, watermark };
}
