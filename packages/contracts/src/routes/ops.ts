// Models and workers (GET /v1/models, GET /v1/admin/workers), API keys (admin), tenant
// policies (admin), the operators' queue and job routes, and the health checks.
import { z } from 'zod';
import { ApiKeyCreate, ApiKeyInfo, ModelList } from '../models.js';
import { TenantPolicy, TenantPolicyList, TenantPolicyUpdate } from '../fairness.js';
import { AdminJobList, AdminJobState, AdminJobSummary, QueueStatsList } from '../ops.js';
import { defineRoute, jsonBodyErrors, needsAdmin, needsKey, ok, problem } from './declare.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const listOf = (name: string) => ({ type: 'object', properties: { data: { type: 'array', items: ref(name) } } });
const id = z.object({ id: z.string() });
const tenant = z.object({ tenant: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'tenant must be 1-64 of A-Z a-z 0-9 _ . -' }) });

export const MODEL_ROUTES = {
  models: defineRoute({
    method: 'get',
    path: '/v1/models',
    summary: 'Models served by live workers',
    auth: 'key',
    responses: { '200': ok('models with limits and defaults', ModelList), ...needsKey },
  }),
  workers: defineRoute({
    method: 'get',
    path: '/v1/admin/workers',
    summary: 'Live workers (admin)',
    auth: 'admin',
    responses: { '200': { description: 'workers', schema: listOf('WorkerHeartbeat') }, ...needsAdmin },
  }),
};

export const KEY_ROUTES = {
  list: defineRoute({
    method: 'get',
    path: '/v1/admin/keys',
    summary: 'List API keys (admin)',
    auth: 'admin',
    responses: { '200': { description: 'keys', schema: listOf('ApiKeyInfo') }, ...needsAdmin },
  }),
  create: defineRoute({
    method: 'post',
    path: '/v1/admin/keys',
    summary: 'Create an API key (admin)',
    auth: 'admin',
    body: ApiKeyCreate,
    emptyBodyAs: {},
    responses: { '201': ok('the new key, shown once', ApiKeyInfo), ...jsonBodyErrors(), '422': problem('invalid fields (field paths)', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
  revoke: defineRoute({
    method: 'delete',
    path: '/v1/admin/keys/{id}',
    summary: 'Revoke an API key (admin)',
    auth: 'admin',
    params: id,
    responses: { '204': ok('revoked'), '404': problem('no such key', { codes: ['not_found'] }), ...needsAdmin },
  }),
};

export const TENANT_ROUTES = {
  list: defineRoute({
    method: 'get',
    path: '/v1/admin/tenants',
    summary: 'Tenants with a policy (admin)',
    auth: 'admin',
    responses: { '200': ok('policies', TenantPolicyList), ...needsAdmin },
  }),
  get: defineRoute({
    method: 'get',
    path: '/v1/admin/tenants/{tenant}',
    summary: "A tenant's weight, highest priority and quotas (admin; defaults when never set)",
    auth: 'admin',
    params: tenant,
    responses: { '200': ok('the policy', TenantPolicy), '422': problem('invalid tenant name', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
  put: defineRoute({
    method: 'put',
    path: '/v1/admin/tenants/{tenant}',
    summary: "Set a tenant's weight, highest priority or quotas (admin); absent fields keep their value, a quota set to null is removed",
    auth: 'admin',
    params: tenant,
    body: TenantPolicyUpdate,
    emptyBodyAs: {},
    responses: { '200': ok('the policy now', TenantPolicy), ...jsonBodyErrors(), '422': problem('invalid fields (field paths)', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
};

const health = {
  type: 'object',
  properties: { status: { type: 'string', enum: ['ok', 'unavailable'] }, checks: { type: 'object', properties: { redis: { type: 'string', enum: ['ok', 'down'] }, storage: { type: 'string', enum: ['ok', 'down'] } } } },
};

export const HEALTH_ROUTES = {
  healthz: defineRoute({ method: 'get', path: '/healthz', summary: 'Liveness', auth: 'none', responses: { '200': ok('alive') } }),
  readyz: defineRoute({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Redis and storage reachable',
    auth: 'none',
    responses: {
      '200': { description: 'ready', schema: health },
      '503': { description: 'a dependency is down (`checks` says which)', schema: health },
    },
  }),
};

/** Operator routes of the /ops page and `flowfarm queues` (the API's createApp mounts them at /v1/admin). */
export const ADMIN_JOB_ROUTES = {
  queues: defineRoute({
    method: 'get',
    path: '/v1/admin/queues',
    summary: 'Depth and oldest wait per model queue (admin)',
    auth: 'admin',
    responses: { '200': ok('one entry per model', QueueStatsList), ...needsAdmin },
  }),
  jobs: defineRoute({
    method: 'get',
    path: '/v1/admin/jobs',
    summary: "Every tenant's jobs in one state, newest first (admin)",
    auth: 'admin',
    query: z.object({ state: AdminJobState, limit: z.coerce.number().int().min(1).max(100).default(20) }),
    responses: { '200': ok('jobs', AdminJobList), '422': problem('invalid state or limit', { codes: ['validation_failed'] }), ...needsAdmin },
  }),
  retry: defineRoute({
    method: 'post',
    path: '/v1/admin/jobs/{id}/retry',
    summary: 'Run a failed or canceled job again as a new job of the same tenant (admin)',
    auth: 'admin',
    params: id,
    responses: { '202': ok('the new job (retry_of names the old one)', AdminJobSummary), '404': problem('no such job', { codes: ['not_found'] }), '409': problem('the job has not failed (nor been canceled)', { codes: ['job_not_failed'] }), ...needsAdmin },
  }),
  cancel: defineRoute({
    method: 'post',
    path: '/v1/admin/jobs/{id}/cancel',
    summary: "Cancel any tenant's queued or running job (admin)",
    auth: 'admin',
    params: id,
    responses: { '202': ok('the job', AdminJobSummary), '404': problem('no such job', { codes: ['not_found'] }), '409': problem('the job already finished', { codes: ['job_finished'] }), ...needsAdmin },
  }),
};
