// Metered usage: the tenant's own (GET /v1/usage) and every tenant's (GET /v1/admin/usage),
// as JSON or CSV.
import { TenantUsage, UsageQuery, UsageReport } from '../fairness.js';
import { defineRoute, needsAdmin, needsKey, problem, type ResponseSpec } from './declare.js';

const csv = { 'text/csv': { schema: { type: 'string' } } };
const report = (description: string, body: ResponseSpec['body']): ResponseSpec => ({ description, body, content: csv });

export const USAGE_ROUTES = {
  tenant: defineRoute({
    method: 'get',
    path: '/v1/usage',
    summary: "The tenant's metered usage (succeeded jobs: images, megapixel-steps, GPU seconds), its quotas and what it has reserved against them",
    auth: 'tenant',
    query: UsageQuery,
    responses: {
      '200': report('usage rows and totals, with the tenant\'s quotas and what it has reserved', TenantUsage),
      '422': problem('invalid range or parameters (a tenant key reports its own tenant only)', { codes: ['validation_failed'] }),
      ...needsKey,
    },
  }),
  admin: defineRoute({
    method: 'get',
    path: '/v1/admin/usage',
    summary: "Every tenant's usage (admin), one row per tenant and day or model",
    auth: 'admin',
    query: UsageQuery,
    responses: { '200': report('usage rows per tenant and totals', UsageReport), '422': problem('invalid range or parameters', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
};
