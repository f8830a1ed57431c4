// OpenAPI entries of the usage and tenant-policy routes (fair share, priorities, quotas),
// kept apart from openapi.ts as the trust and style routes are.
import type { z } from 'zod';
import { TenantPolicy, TenantPolicyList, TenantPolicyUpdate, UsageReport, UsageRow } from './fairness.js';

export const FAIRNESS_SCHEMAS: Record<string, z.ZodType> = { TenantPolicy, TenantPolicyList, TenantPolicyUpdate, UsageRow, UsageReport };

type Helpers = {
  json: (name: string, description: string) => unknown;
  problem: (description: string) => unknown;
  body: (name: string) => unknown;
};

export function fairnessPaths({ json, problem, body }: Helpers): Record<string, unknown> {
  const tenant = { name: 'tenant', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } };
  const range = [
    { name: 'from', in: 'query', schema: { type: 'string', format: 'date' }, description: 'first UTC day (default: 29 days before `to`)' },
    { name: 'to', in: 'query', schema: { type: 'string', format: 'date' }, description: 'last UTC day (default: today)' },
    { name: 'group_by', in: 'query', schema: { type: 'string', enum: ['day', 'model'], default: 'day' } },
    { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'] }, description: 'csv (or `Accept: text/csv`) answers a CSV file' },
  ];
  const report = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/UsageReport' } }, 'text/csv': { schema: { type: 'string' } } },
  });
  const admin = { '401': problem('missing or invalid API key'), '403': problem('admin key needed') };
  return {
    '/v1/usage': {
      get: {
        summary: "The tenant's metered usage (images, megapixel-steps, render seconds) by day or model, with its quotas",
        parameters: [...range, { name: 'tenant', in: 'query', schema: { type: 'string' }, description: 'only your own tenant' }],
        responses: { '200': report('usage rows'), '422': problem('invalid range'), '401': problem('missing or invalid API key') },
      },
    },
    '/v1/admin/usage': {
      get: {
        summary: "Every tenant's usage by day or model (admin)",
        parameters: [...range, { name: 'tenant', in: 'query', schema: { type: 'string' }, description: 'one tenant only' }],
        responses: { '200': report('usage rows with their tenant'), '422': problem('invalid range'), ...admin },
      },
    },
    '/v1/admin/tenants': {
      get: { summary: 'Tenants with a policy: weight, highest priority, quotas (admin)', responses: { '200': json('TenantPolicyList', 'policies'), ...admin } },
    },
    '/v1/admin/tenants/{tenant}': {
      get: { summary: "A tenant's policy (defaults when none was set) (admin)", parameters: [tenant], responses: { '200': json('TenantPolicy', 'the policy'), '422': problem('invalid tenant name'), ...admin } },
      put: {
        summary: "Change a tenant's fair-share weight, highest priority or quotas (admin)",
        parameters: [tenant],
        requestBody: body('TenantPolicyUpdate'),
        responses: { '200': json('TenantPolicy', 'the policy now'), '422': problem('invalid fields (field paths)'), ...admin },
      },
    },
  };
}
