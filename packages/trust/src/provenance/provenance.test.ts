import { createHash } from 'node:crypto';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { KeyRing, generateSigningKey } from './signing-key.js';
import { embedPngProvenance, pngPixelsRgb8, readPngProvenance } from './png-provenance.js';
import { insertBeforeIend, itxtChunk, readPngChunks } from './png-chunks.js';
import { verifyImageProvenance } from './verify-image.js';
import type { ManifestFields } from './png-provenance.js';

function testPng(width = 64, height = 64): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 251;
  return encode({ width, height, data: rgb, channels: 3, depth: 8, text: { prompt: 'a red circle', seed: '7' } });
}

const fields: ManifestFields = {
  job_id: 'job_abc',
  tenant: 'acme',
  image_index: 0,
  model: { name: 'tiny-shapes', files: { transformer: 'ab'.repeat(32) } },
  pipeline_version: '@flowfarm/pipeline 0.1.0',
  params: { prompt: 'a red circle', width: 64, height: 64, steps: 4, seed: 7 },
  created_at: '2026-12-01T16:00:00.000Z',
};

describe('PNG provenance', () => {
  const key = generateSigningKey();
  const ring = new KeyRing([key.publicJwk]);
  const signed = embedPngProvenance(testPng(), fields, key).png;

  it('verifies a signed file as valid, with its manifest, and keeps the pixels and other chunks', () => {
    const check = verifyImageProvenance(signed, ring);
    expect(check).toMatchObject({ status: 'valid', format: 'png', kid: key.kid, problems: [] });
    expect(check.manifest).toMatchObject({ job_id: 'job_abc', tenant: 'acme', params: { seed: 7 }, image: { width: 64, height: 64 } });
    expect(pngPixelsRgb8(signed).rgb).toEqual(pngPixelsRgb8(testPng()).rgb);
    expect(readPngChunks(signed).filter((c) => c.type === 'tEXt')).toHaveLength(2);
  });

  it('records the same pixel hash from the pixels, their hash, or a decode of the file', () => {
    const png = testPng();
    const rgb = pngPixelsRgb8(png).rgb;
    const hashOf = (p?: Uint8Array | { sha256: string }) => embedPngProvenance(png, fields, key, p).record.manifest.image.pixels_sha256;
    const decoded = hashOf();
    expect(hashOf(rgb)).toBe(decoded);
    expect(hashOf({ sha256: createHash('sha256').update(rgb).digest('hex') })).toBe(decoded);
  });

  it('answers unsigned without a record and unknown_key for another farm key', () => {
    expect(verifyImageProvenance(testPng(), ring).status).toBe('unsigned');
    expect(verifyImageProvenance(signed, new KeyRing([generateSigningKey().publicJwk])).status).toBe('unknown_key');
    expect(verifyImageProvenance(new TextEncoder().encode('hello'), ring)).toMatchObject({ status: 'unsigned', format: 'unknown' });
  });

  it('answers tampered for any changed pixel', () => {
    const { rgb, width, height } = pngPixelsRgb8(signed);
    const record = readPngProvenance(signed).texts[0];
    for (const index of [0, 1000, rgb.length - 1]) {
      const changed = Uint8Array.from(rgb);
      changed[index] ^= 1;
      const reencoded = encode({ width, height, data: changed, channels: 3, depth: 8, text: { prompt: 'a red circle', seed: '7' } });
      const forged = insertBeforeIend(reencoded, itxtChunk('flowfarm-provenance', record));
      expect(verifyImageProvenance(forged, ring)).toMatchObject({ status: 'tampered', problems: expect.arrayContaining(['the pixels differ from the signed ones']) });
    }
  });

  it('answers tampered for changed metadata: a text chunk, the manifest, or the signature', () => {
    const text = readPngChunks(signed).find((c) => c.type === 'tEXt')!;
    const editedText = Uint8Array.from(signed);
    editedText[text.start + 8 + text.data.indexOf(0) + 1] ^= 0x20; // "a red circle" → "A red circle" (CRC left stale)
    expect(verifyImageProvenance(editedText, ring).status).toBe('tampered');

    const record = JSON.parse(readPngProvenance(signed).texts[0]);
    const clean = readPngProvenance(signed).withoutRecord;
    const withRecord = (r: unknown) => insertBeforeIend(clean, itxtChunk('flowfarm-provenance', JSON.stringify(r)));
    expect(verifyImageProvenance(withRecord(record), ring).status).toBe('valid');
    expect(verifyImageProvenance(withRecord({ ...record, manifest: { ...record.manifest, tenant: 'globex' } }), ring).status).toBe('tampered');
    expect(verifyImageProvenance(withRecord({ ...record, manifest: { ...record.manifest, params: { ...record.manifest.params, seed: 8 } } }), ring).status).toBe('tampered');
    const sig = Buffer.from(record.signature, 'base64url');
    sig[5] ^= 1;
    expect(verifyImageProvenance(withRecord({ ...record, signature: sig.toString('base64url') }), ring).status).toBe('tampered');
    expect(verifyImageProvenance(withRecord({ nonsense: true }), ring)).toMatchObject({ status: 'tampered', problems: ['the provenance record is malformed'] });
    // a second, added record
    expect(verifyImageProvenance(insertBeforeIend(signed, itxtChunk('flowfarm-provenance', JSON.stringify(record))), ring).status).toBe('tampered');
  });

  it('re-signing replaces the record instead of stacking a second one', () => {
    const twice = embedPngProvenance(signed, { ...fields, image_index: 1 }, key).png;
    expect(readPngProvenance(twice).texts).toHaveLength(1);
    expect(verifyImageProvenance(twice, ring)).toMatchObject({ status: 'valid', manifest: { image_index: 1 } });
  });

  it('checks that a published kid belongs to its key', () => {
    const other = generateSigningKey();
    expect(() => new KeyRing([{ kid: key.kid, x: other.publicJwk.x }])).toThrow(/kid does not match/);
  });
});
