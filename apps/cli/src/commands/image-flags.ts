// --image and --strength, shared by local and farm generation: the same checks, the same
// one-line usage errors.
import { readFileSync } from 'node:fs';
import { DEFAULT_IMAGE_STRENGTH } from '@flowfarm/contracts/plain';

type UsageErrorClass = new (message: string) => Error;

/** A starting image: a file's bytes, or (farm only) a result URL handed back to the farm as is. */
export type ImageFlag = { bytes: Uint8Array; strength: number } | { url: string; strength: number };

const isUrl = (value: string) => /^https?:\/\//.test(value) || value.startsWith('/files/');

/** `--strength` alone is a usage error, as it is a 422 in the API. URLs are allowed when `urls` is true. */
export function imageFlags(value: string | undefined, strength: string | undefined, UsageError: UsageErrorClass, urls: boolean): ImageFlag | undefined {
  if (value === undefined) {
    if (strength !== undefined) throw new UsageError('--strength needs --image');
    return undefined;
  }
  const s = strength === undefined ? DEFAULT_IMAGE_STRENGTH : Number(strength);
  if (!(Number.isFinite(s) && s > 0 && s <= 1)) throw new UsageError(`--strength must be a number in (0, 1] (got "${strength}")`);
  if (isUrl(value)) {
    if (!urls) throw new UsageError('--image URL needs --api (a result URL of that farm); locally, give a file');
    return { url: value, strength: s };
  }
  try {
    return { bytes: new Uint8Array(readFileSync(value)), strength: s };
  } catch (err) {
    throw new UsageError(`--image: cannot read ${value} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** The image as the API's `image` field: a data: URL typed from the file's first bytes, or the URL. */
export function imageField(flag: ImageFlag, UsageError: UsageErrorClass): string {
  if ('url' in flag) return flag.url;
  const b = flag.bytes;
  const type =
    b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 ? 'png'
    : b[0] === 0xff && b[1] === 0xd8 ? 'jpeg'
    : String.fromCharCode(...b.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...b.subarray(8, 12)) === 'WEBP' ? 'webp'
    : null;
  if (!type) throw new UsageError('--image must be a png, jpeg or webp file');
  return `data:image/${type};base64,${Buffer.from(b).toString('base64')}`;
}
