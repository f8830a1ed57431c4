// JPEG and WebP files signed the way the worker signs them: the record in its own segment,
// verified without a decode; any changed byte outside the record is tampering.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { KeyRing, generateSigningKey } from './signing-key.js';
import { embedContainerProvenance, readContainerProvenance } from './container-provenance.js';
import { verifyImageProvenance } from './verify-image.js';
import type { ManifestFields } from './png-provenance.js';

const fields: ManifestFields = {
  job_id: 'job_lossy',
  tenant: 'acme',
  image_index: 1,
  model: { name: 'tiny-shapes', files: { transformer: 'cd'.repeat(32) } },
  pipeline_version: '@flowfarm/pipeline 0.1.0',
  params: { prompt: 'a blue square', output_format: 'jpeg', seed: 9 },
  created_at: '2026-12-01T20:00:00.000Z',
};

const XMP = '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:flowfarm="https://flowfarm.dev/ns/params/1.0/"><flowfarm:prompt>a blue square</flowfarm:prompt></rdf:Description></rdf:RDF></x:xmpmeta>';

async function picture(format: 'jpeg' | 'webp'): Promise<Uint8Array> {
  const rgb = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 251;
  const image = sharp(rgb, { raw: { width: 64, height: 64, channels: 3 } }).withXmp(XMP);
  return new Uint8Array(await (format === 'jpeg' ? image.jpeg({ quality: 85 }) : image.webp({ quality: 85 })).toBuffer());
}

describe.each(['jpeg', 'webp'] as const)('%s provenance', (format) => {
  const key = generateSigningKey();
  const ring = new KeyRing([key.publicJwk]);

  it('signs, verifies valid, and leaves a file every decoder still reads with the same pixels', async () => {
    const original = await picture(format);
    const { file, record } = embedContainerProvenance(original, format, fields, key, { width: 64, height: 64, pixelsSha256: 'ef'.repeat(32) });
    expect(record.manifest.image).toMatchObject({ content_type: `image/${format}`, width: 64, height: 64 });
    expect(verifyImageProvenance(file, ring)).toMatchObject({ status: 'valid', format, kid: key.kid, problems: [] });
    // removing the record gives back the signed bytes exactly
    expect(Buffer.from(readContainerProvenance(file, format).withoutRecord).equals(Buffer.from(original))).toBe(true);
    const [a, b] = await Promise.all([original, file].map((bytes) => sharp(bytes).raw().toBuffer()));
    expect(b.equals(a)).toBe(true);
    expect((await sharp(file).metadata()).xmp?.toString()).toContain('a blue square');
    // signing twice replaces the record, never stacks a second one
    const again = embedContainerProvenance(file, format, fields, key, { width: 64, height: 64, pixelsSha256: 'ef'.repeat(32) }).file;
    expect(readContainerProvenance(again, format).texts).toHaveLength(1);
  });

  it('answers tampered for a changed byte of the image data or the metadata, unsigned without a record, unknown_key for another farm', async () => {
    const original = await picture(format);
    const { file } = embedContainerProvenance(original, format, fields, key, { width: 64, height: 64, pixelsSha256: 'ef'.repeat(32) });
    const flip = (at: number) => {
      const changed = Uint8Array.from(file);
      changed[at] ^= 0x01;
      return changed;
    };
    const xmpAt = Buffer.from(file).indexOf('a blue square');
    expect(verifyImageProvenance(flip(xmpAt), ring).status).toBe('tampered');
    expect(verifyImageProvenance(flip(file.length - 40), ring).status).toBe('tampered');
    expect(verifyImageProvenance(original, ring).status).toBe('unsigned');
    expect(verifyImageProvenance(file, new KeyRing([generateSigningKey().publicJwk])).status).toBe('unknown_key');
  });
});
