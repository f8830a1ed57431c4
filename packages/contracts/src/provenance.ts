import { z } from 'zod';

/** One public provenance key as published at /.well-known/flowfarm-keys.json (a JWK, RFC 8037). */
export const ProvenancePublicKey = z.object({
  kid: z.string(),
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  alg: z.literal('EdDSA'),
  use: z.literal('sig'),
  x: z.string().describe('base64url of the 32-byte public key'),
  created_at: z.string().describe('when a worker first published it'),
});
export type ProvenancePublicKey = z.infer<typeof ProvenancePublicKey>;

export const ProvenanceKeySet = z.object({ keys: z.array(ProvenancePublicKey) });
export type ProvenanceKeySet = z.infer<typeof ProvenanceKeySet>;

/** The signed record embedded in an output (PNG iTXt chunk `flowfarm-provenance`). */
export const SignedProvenanceRecord = z
  .object({
    manifest: z
      .object({
        format: z.literal('flowfarm.provenance/1'),
        job_id: z.string(),
        tenant: z.string(),
        image_index: z.number().int(),
        model: z.object({ name: z.string(), files: z.record(z.string(), z.string()).describe('file role → SHA-256 hex') }),
        pipeline_version: z.string(),
        params: z.record(z.string(), z.unknown()).describe('every generation parameter (the job input with defaults filled in) and image_seed'),
        created_at: z.string(),
        image: z.object({
          width: z.number().int(),
          height: z.number().int(),
          content_type: z.string(),
          pixels_sha256: z.string().describe('SHA-256 of the decoded pixels, RGB8 interleaved'),
          file_sha256: z.string().describe('SHA-256 of the file without this record'),
        }),
        watermark: z.object({ scheme: z.string(), payload: z.string() }).optional(),
      })
      .catchall(z.unknown()),
    kid: z.string(),
    alg: z.literal('Ed25519'),
    signature: z.string().describe("base64url Ed25519 signature over the manifest's canonical JSON (keys sorted, no whitespace)"),
  })
  .catchall(z.unknown());
export type SignedProvenanceRecord = z.infer<typeof SignedProvenanceRecord>;

/** Body of GET /v1/jobs/{id}/provenance. */
export const JobProvenance = z.object({
  job_id: z.string(),
  status: z.string(),
  data: z.array(
    z.object({
      index: z.number().int(),
      content_type: z.string(),
      provenance: SignedProvenanceRecord.nullable().describe('null for formats not signed yet (JPEG, WebP) or when provenance is off'),
      watermark: z.string().nullable().describe('invisible watermark payload (8 hex digits)'),
    }),
  ),
});
export type JobProvenance = z.infer<typeof JobProvenance>;

/** Answer of POST /v1/verify. */
export const VerifyResult = z.object({
  status: z.enum(['valid', 'tampered', 'unsigned', 'unknown_key']),
  format: z.enum(['png', 'jpeg', 'webp', 'unknown']),
  kid: z.string().optional(),
  manifest: SignedProvenanceRecord.shape.manifest.optional().describe('what the file claims (also when tampered)'),
  problems: z.array(z.string()).describe('what did not match'),
  watermark: z
    .object({
      found: z.boolean(),
      scheme: z.string(),
      payload: z.string(),
      scale: z.number().describe('the resize the detector undid (1 = none)'),
      job_id: z.string().nullable().describe("the job it points to, when it is the caller's"),
      image_index: z.number().int().nullable(),
    })
    .nullable()
    .describe('watermark detection (skipped for valid files unless ?watermark=always)'),
});
export type VerifyResult = z.infer<typeof VerifyResult>;
