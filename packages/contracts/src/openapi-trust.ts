// OpenAPI entries of the trust-and-safety routes (moderation policies; provenance and verify
// join them), kept apart from openapi.ts so the job routes' document stays readable.
import type { z } from 'zod';
import { JobModeration } from './job-events.js';
import { GlobalModerationPolicy, ModerationCheckRequest, ModerationCheckResult, ModerationPolicy, TenantModerationPolicy } from './moderation.js';

export const TRUST_SCHEMAS: Record<string, z.ZodType> = {
  JobModeration,
  ModerationPolicy,
  GlobalModerationPolicy,
  TenantModerationPolicy,
  ModerationCheckRequest,
  ModerationCheckResult,
};

type Helpers = {
  json: (name: string, description: string) => unknown;
  problem: (description: string) => unknown;
  body: (name: string) => unknown;
};

export function trustPaths({ json, problem, body }: Helpers): Record<string, unknown> {
  const tenant = { name: 'tenant', in: 'path', required: true, schema: { type: 'string' } };
  const admin = { '401': problem('missing or invalid key'), '403': problem('admin key needed') };
  return {
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
    '/v1/admin/moderation/check': {
      post: { summary: 'Dry run: would this prompt be moderated, and by which rule (admin)', requestBody: body('ModerationCheckRequest'), responses: { '200': json('ModerationCheckResult', 'the verdict'), '422': problem('invalid request'), ...admin } },
    },
  };
}
