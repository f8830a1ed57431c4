import { createHash } from 'node:crypto';
import {
  DEFAULT_IMAGE_STRENGTH,
  INPUT_IMAGE_DATA_URL,
  MAX_INPUT_IMAGE_BYTES,
  MAX_INPUT_IMAGE_PIXELS,
  type FieldError,
  type JobInput,
} from '@flowfarm/contracts';
import type { ModelLimits } from '@flowfarm/queue';
import type { ResultStorage } from '@flowfarm/storage';
import { decodeImageRgb, imageHeader } from '@flowfarm/trust';

/** A validated image-to-image starting image, before it is stored. */
export interface InputImage {
  bytes: Uint8Array;
  contentType: string;
  ext: string;
  sha256: string;
  width: number;
  height: number;
  strength: number;
}

const TYPES: Record<string, { contentType: string; ext: string }> = {
  png: { contentType: 'image/png', ext: 'png' },
  jpeg: { contentType: 'image/jpeg', ext: 'jpg' },
  webp: { contentType: 'image/webp', ext: 'webp' },
};

/** Whose results a job may start from, and where they are stored. */
export interface ResultImageSource {
  tenant: string;
  storage: ResultStorage;
}

/**
 * The bytes `image` names: a data: URL's payload, or one of the tenant's stored results (by
 * the signed URL the farm gave out). A string explains why not.
 */
async function imageBytes(image: string, source: ResultImageSource | undefined): Promise<Uint8Array | string> {
  if (INPUT_IMAGE_DATA_URL.test(image)) {
    const base64 = image.replace(INPUT_IMAGE_DATA_URL, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64) || base64.length % 4 !== 0) return 'image is not valid base64 after the data: URL prefix';
    return new Uint8Array(Buffer.from(base64, 'base64'));
  }
  const key = source?.storage.keyOfUrl(image);
  // Another tenant's file reads as "not a result of yours", exactly like a URL that is not ours.
  if (!source || !key || !key.startsWith(`${source.tenant}/`)) return 'image URL is not a current result URL of yours on this farm (get the job again for a fresh link, or send a data: URL)';
  try {
    return await source.storage.get(key);
  } catch {
    return 'the image this URL names no longer exists (its job passed retention)';
  }
}

/**
 * Checks `image`/`strength` of a job against the model and decodes the image once (so a job the
 * worker cannot read is refused at submit, with the field's path). Errors go into `errors`.
 */
export async function inputImageOf(input: JobInput, model: string, limits: ModelLimits, errors: FieldError[], source?: ResultImageSource): Promise<InputImage | undefined> {
  if (input.image === undefined) {
    if (input.strength !== undefined) errors.push({ path: 'strength', message: 'strength applies to image-to-image only; give image too', code: 'not_applicable' });
    return undefined;
  }
  const bad = (message: string, code = 'invalid_image') => {
    errors.push({ path: 'image', message, code });
    return undefined;
  };
  if (!limits.image_input) return bad(`model ${model} has no VAE encoder, so it cannot start from an image`, 'not_supported');
  const bytes = await imageBytes(input.image, source);
  if (typeof bytes === 'string') return bad(bytes);
  if (bytes.length === 0) return bad('image is empty');
  if (bytes.length > MAX_INPUT_IMAGE_BYTES) return bad(`image must be at most ${MAX_INPUT_IMAGE_BYTES} bytes (got ${bytes.length})`, 'too_large');
  // The header decides the type (not the data URL's label); only then are the pixels decoded.
  const header = await imageHeader(bytes);
  const type = header ? TYPES[header.format] : undefined;
  if (!header || !type) return bad('image is not a png, jpeg or webp file');
  if (header.width * header.height > MAX_INPUT_IMAGE_PIXELS) {
    return bad(`image must have at most ${MAX_INPUT_IMAGE_PIXELS} pixels (got ${header.width}x${header.height})`, 'too_large');
  }
  try {
    await decodeImageRgb(bytes);
  } catch {
    return bad('image could not be decoded (truncated or corrupt file)');
  }
  return {
    bytes, ...type, sha256: createHash('sha256').update(bytes).digest('hex'),
    width: header.width, height: header.height, strength: input.strength ?? DEFAULT_IMAGE_STRENGTH,
  };
}
