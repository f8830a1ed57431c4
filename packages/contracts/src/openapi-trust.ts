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

export function trustPaths({ json, problem, body }: Helpers): Record<string, unknown> {
  const tenant = { name: 'tenant', in: 'path', required: true, schema: { type: 'string' } };
  const admin = { '401': problem('missing or invalid key'), '403': problem('admin key needed') };
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
    '/v1/admin/moderation/policy': {
      get: { summary: 'The global moderation policy and the tenants with their own (admin)', responses: { '200': json('GlobalModerationPolicy', 'the policy in force'), ...admin } },
      put: { summary: 'Replace the global moderation policy (admin)', requestBody: body('ModerationPolicy'), responses: { '200': json('GlobalModerationPolicy', 'stored'), '422': problem('invalid policy (field paths)'), ...admin } },
      delete: { summary: 'Back to the built-in global policy (admin)', responses: { '204': { description: 'reset' }, ...admin } },
    },
    '/v1/admin/moderation/tenants/{tenant}': {
      get: { summary: "A tenant's own moderation policy (admin)", parameters: [tenant], responses: { '200': json('TenantModerationPolicy', 'the policy'), '404': problem('the tenant has none'), ...admin } },
      put: { summary: "Set a tenant's policy (added to the global one) and its safety_tolerance cap (admin)", parameters: [tenant], requestBody: body('ModerationPolicy'), responses: { '200': json('TenantModerationPolicy', 'stored'), '422': problem('invalid policy'), ...admin } },
      delete: { summary: "Remove a tenant's policy (admin)", parameters: [tenant], responses: { '204': { description: 'removed' }, '404': problem('the tenant has none'), ...admin } },
    },
    '/v1/admin/audit': {
      get: {
        summary: 'The audit log, newest first: tenant, key id, client address, job, moderation outcome (admin)',
        parameters: [
          { name: 'tenant', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500 } },
          { name: 'before', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: { '200': json('AuditList', 'entries'), '422': problem('invalid query'), ...admin },
      },
    },
    '/v1/admin/moderation/check': {
      post: { summary: 'Dry run: would this prompt be moderated, and by which rule (admin)', requestBody: body('ModerationCheckRequest'), responses: { '200': json('ModerationCheckResult', 'the verdict'), '422': problem('invalid request'), ...admin } },
    },
  };
}
