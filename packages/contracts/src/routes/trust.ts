// Provenance: the farm's public keys, a job's signed records, and verifying an image file.
import { z } from 'zod';
import { JobProvenance, ProvenanceKeySet, VerifyResult } from '../provenance.js';
import { defineRoute, needsKey, ok, problem } from './declare.js';

/** Content types POST /v1/verify reads as the image file. */
export const VERIFY_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'];

export const PROVENANCE_ROUTES = {
  keys: defineRoute({
    method: 'get',
    path: '/.well-known/flowfarm-keys.json',
    summary: "The farm's public Ed25519 provenance keys (JWK), current and rotated-out",
    auth: 'none',
    responses: { '200': ok('keys', ProvenanceKeySet, { 'Cache-Control': { description: 'public, max-age=300' } }) },
  }),
  jobProvenance: defineRoute({
    method: 'get',
    path: '/v1/jobs/{id}/provenance',
    summary: "The signed provenance records and watermark payloads of a job's outputs",
    auth: 'tenant',
    params: z.object({ id: z.string() }),
    responses: { '200': ok('one entry per output', JobProvenance), '404': problem('no such job', { codes: ['not_found'] }), ...needsKey },
  }),
  verify: defineRoute({
    method: 'post',
    path: '/v1/verify',
    summary: 'Verify an image file: its signed provenance record (valid / tampered / unsigned / unknown_key) and, unless valid, the invisible watermark',
    auth: 'key',
    // an unknown value reads as auto, as it always has
    query: z.object({ watermark: z.enum(['auto', 'always']).optional().catch(undefined) }),
    fileBody: VERIFY_CONTENT_TYPES,
    responses: { '200': ok('the verdict', VerifyResult), '400': problem('no image in the body, or an upload the client aborted', { codes: ['bad_request', 'request_aborted'] }), '413': problem('image larger than VERIFY_BODY_LIMIT', { codes: ['payload_too_large'] }), '415': problem('a Content-Encoding the API does not read', { codes: ['unsupported_encoding'] }), ...needsKey },
  }),
};
