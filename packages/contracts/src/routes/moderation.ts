// Moderation policies (admin): the global policy, per-tenant additions, a dry-run check, and
// the audit log.
import { z } from 'zod';
import { AuditList, GlobalModerationPolicy, ModerationCheckRequest, ModerationCheckResult, ModerationPolicy, TenantModerationPolicy } from '../moderation.js';
import { defineRoute, jsonBodyErrors, needsAdmin, ok, problem } from './declare.js';

const TENANT = /^[A-Za-z0-9_.-]{1,64}$/;
const tenant = z.object({ tenant: z.string().regex(TENANT, { message: 'tenant must be 1-64 of A-Z a-z 0-9 _ . -' }) });

export const MODERATION_ROUTES = {
  getPolicy: defineRoute({
    method: 'get',
    path: '/v1/admin/moderation/policy',
    summary: 'The global moderation policy and the tenants with their own (admin)',
    auth: 'admin',
    responses: { '200': ok('the policy in force', GlobalModerationPolicy), ...needsAdmin },
  }),
  putPolicy: defineRoute({
    method: 'put',
    path: '/v1/admin/moderation/policy',
    summary: 'Replace the global moderation policy (admin)',
    auth: 'admin',
    body: ModerationPolicy,
    emptyBodyAs: {},
    responses: { '200': ok('stored', GlobalModerationPolicy), ...jsonBodyErrors(), '422': problem('invalid policy (field paths)', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
  resetPolicy: defineRoute({
    method: 'delete',
    path: '/v1/admin/moderation/policy',
    summary: 'Back to the built-in global policy (admin)',
    auth: 'admin',
    responses: { '204': ok('reset'), ...needsAdmin },
  }),
  getTenant: defineRoute({
    method: 'get',
    path: '/v1/admin/moderation/tenants/{tenant}',
    summary: "A tenant's own moderation policy (admin)",
    auth: 'admin',
    params: tenant,
    responses: { '200': ok('the policy', TenantModerationPolicy), '404': problem('the tenant has none', { codes: ['not_found'] }), '422': problem('invalid tenant name', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
  putTenant: defineRoute({
    method: 'put',
    path: '/v1/admin/moderation/tenants/{tenant}',
    summary: "Set a tenant's policy (added to the global one) and its safety_tolerance cap (admin)",
    auth: 'admin',
    params: tenant,
    body: ModerationPolicy,
    emptyBodyAs: {},
    responses: { '200': ok('stored', TenantModerationPolicy), ...jsonBodyErrors(), '422': problem('invalid policy or tenant name', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
  deleteTenant: defineRoute({
    method: 'delete',
    path: '/v1/admin/moderation/tenants/{tenant}',
    summary: "Remove a tenant's policy (admin)",
    auth: 'admin',
    params: tenant,
    responses: { '204': ok('removed'), '404': problem('the tenant has none', { codes: ['not_found'] }), '422': problem('invalid tenant name', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
  check: defineRoute({
    method: 'post',
    path: '/v1/admin/moderation/check',
    summary: 'Dry run: would this prompt be moderated, and by which rule (admin)',
    auth: 'admin',
    body: ModerationCheckRequest,
    emptyBodyAs: {},
    responses: { '200': ok('the verdict', ModerationCheckResult), ...jsonBodyErrors(), '422': problem('invalid request', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
  audit: defineRoute({
    method: 'get',
    path: '/v1/admin/audit',
    summary: 'The audit log, newest first: tenant, key id, client address, job, moderation outcome (admin)',
    auth: 'admin',
    query: z.object({
      tenant: z.string().regex(TENANT, 'tenant must be 1-64 of A-Z a-z 0-9 _ . -').optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      before: z.string().regex(/^\d+-\d+$/, 'before must be an entry id from an earlier page').optional(),
    }),
    responses: { '200': ok('entries', AuditList), '422': problem('invalid query', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
};
