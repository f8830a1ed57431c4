// OpenAPI entries of the trust-and-safety routes (moderation policies; provenance and verify
// join them), kept apart from openapi.ts so the job routes' document stays readable.
import type { z } from 'zod';
import { JobModeration } from './job-events.js';
import { JobProvenance, ProvenanceKeySet, SignedProvenanceRecord, VerifyResult } from './provenance.js';
import { AuditEntry, AuditList, GlobalModerationPolicy, ModerationCheckRequest, ModerationCheckResult, ModerationPolicy, TenantModerationPolicy } from './moderation.js';

export const TRUST_SCHEMAS: Record<string, z.ZodType> = {
  JobModeration,
  ModerationPolicy,
  GlobalModerationPolicy,
  TenantModerationPolicy,
  ModerationCheckRequest,
  ModerationCheckResult,
  AuditEntry,
  AuditList,
  ProvenanceKeySet,
  SignedProvenanceRecord,
  JobProvenance,
  VerifyResult,
};

type Helpers = {
  json: (name: string, description: string) => unknown;
  problem: (description: string) => unknown;
  body: (name: string) => unknown;
};

export function trustPaths({ json, problem }: Helpers): Record<string, unknown> {
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const image = { required: true, content: Object.fromEntries(['image/png', 'image/jpeg', 'image/webp', 'application/octet-stream'].map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) };
  return {
    '/v1/verify': {
      post: {
        summary: 'Verify an image file: its signed provenance record (valid / tampered / unsigned / unknown_key) and, unless valid, the invisible watermark',
        parameters: [{ name: 'watermark', in: 'query', required: false, schema: { type: 'string', enum: ['auto', 'always'] } }],
        requestBody: image,
        responses: { '200': json('VerifyResult', 'the verdict'), '400': problem('no image in the body'), '413': problem('image larger than VERIFY_BODY_LIMIT') },
      },
    },
    '/v1/jobs/{id}/provenance': { get: { summary: "The signed provenance records and watermark payloads of a job's outputs", parameters: [id], responses: { '200': json('JobProvenance', 'one entry per output'), '404': problem('no such job') } } },
    '/.well-known/flowfarm-keys.json': { get: { summary: "The farm's public Ed25519 provenance keys (JWK), current and rotated-out", security: [], responses: { '200': json('ProvenanceKeySet', 'keys') } } },
  };
}
