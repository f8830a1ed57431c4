import { createHash } from 'node:crypto';

/** The 32-bit watermark payload of a job's image: the first 4 bytes of SHA-256("jobId/index"). */
export function watermarkPayloadFor(jobId: string, index: number): number {
  return createHash('sha256').update(`${jobId}/${index}`).digest().readUInt32BE(0);
}

/** Redis key that maps a watermark payload to its image: `<prefix>:watermark:<hex>` → "jobId/index". */
export const watermarkIndexKey = (prefix: string, payloadHex: string): string => `${prefix}:watermark:${payloadHex}`;
