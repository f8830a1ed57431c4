// OpenAPI entries of fair scheduling (usage reports, tenant policies), kept apart from
// openapi.ts as the trust and style routes are.
import type { z } from 'zod';
import { JobPriority, TenantPolicy, TenantPolicyList, TenantPolicyUpdate, TenantQuotas, TenantUsage, UsageReport, UsageRow } from './fairness.js';

export const FAIRNESS_SCHEMAS: Record<string, z.ZodType> = { JobPriority, TenantPolicy, TenantPolicyList, TenantPolicyUpdate, TenantQuotas, TenantUsage, UsageReport, UsageRow };

type Helpers = {
  json: (name: string, description: string) => unknown;
  problem: (description: string) => unknown;
  body: (name: string) => unknown;
};

const day = (name: string, description: string) => ({ name, in: 'query', schema: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, description });
const usageParameters = [
  day('from', 'first UTC day, inclusive (default: 30 days before `to`)'),
  day('to', 'last UTC day, inclusive (default: today)'),
  { name: 'group_by', in: 'query', schema: { type: 'string', enum: ['day', 'model'], default: 'day' } },
  { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'] }, description: 'csv: the rows as text/csv (also with Accept: text/csv)' },
];

export function fairnessPaths({ problem }: Helpers): Record<string, unknown> {
  const report = (description: string, schema = 'UsageReport') => ({
    description,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` } }, 'text/csv': { schema: { type: 'string' } } },
  });
  const admin = { '401': problem('missing or invalid API key'), '403': problem('admin key needed') };
  return {
    '/v1/usage': {
      get: {
        summary: "The tenant's metered usage (succeeded jobs: images, megapixel-steps, GPU seconds), its quotas and what it has reserved against them",
        parameters: [...usageParameters, { name: 'tenant', in: 'query', schema: { type: 'string' }, description: 'only your own tenant (another → 422)' }],
        responses: { '200': report('usage rows and totals, with the tenant\'s quotas and what it has reserved', 'TenantUsage'), '401': problem('missing or invalid API key'), '422': problem('invalid range or parameters') },
      },
    },
    '/v1/admin/usage': {
      get: {
        summary: "Every tenant's usage (admin), one row per tenant and day or model",
        parameters: [...usageParameters, { name: 'tenant', in: 'query', schema: { type: 'string' }, description: 'only this tenant' }],
        responses: { '200': report('usage rows per tenant and totals'), '422': problem('invalid range or parameters'), ...admin },
      },
    },
  };
}
