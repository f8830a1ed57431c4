import { Router } from 'express';
import { ModerationCheckRequest, ModerationPolicy, NotFoundError, ValidationError, fieldErrorsFromZod } from '@flowfarm/contracts';
import { z } from 'zod';
import { requireAdmin } from '../auth.js';
import type { ApiDeps } from '../deps.js';

const TENANT = /^[A-Za-z0-9_.-]{1,64}$/;

function parsePolicy(body: unknown): ModerationPolicy {
  const parsed = ModerationPolicy.safeParse(body ?? {});
  if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error));
  return parsed.data;
}

function tenantParam(value: string): string {
  if (!TENANT.test(value)) throw new ValidationError([{ path: 'tenant', message: 'tenant must be 1-64 of A-Z a-z 0-9 _ . -' }]);
  return value;
}

/**
 * Moderation policies for `flowfarm moderation …` (ADMIN_API_KEY only): the global policy
 * (the built-in default until one is stored), per-tenant additions, and a dry-run check.
 */
export function adminModerationRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use('/admin/moderation', requireAdmin);

  router.get('/admin/moderation/policy', async (_req, res) => {
    const [global, tenants] = await Promise.all([deps.moderation.getGlobal(), deps.moderation.tenants()]);
    res.json({ ...global.policy, builtin: global.builtin, tenants });
  });
  router.put('/admin/moderation/policy', async (req, res) => {
    const policy = parsePolicy(req.body);
    await deps.moderation.setGlobal(policy);
    res.json({ ...policy, builtin: false });
  });
  router.delete('/admin/moderation/policy', async (_req, res) => {
    await deps.moderation.resetGlobal();
    res.status(204).end();
  });

  router.get('/admin/moderation/tenants/:tenant', async (req, res) => {
    const tenant = tenantParam(req.params.tenant);
    const policy = await deps.moderation.getTenant(tenant);
    if (!policy) throw new NotFoundError(`tenant ${tenant} has no policy of its own`);
    res.json({ tenant, ...policy });
  });
  router.put('/admin/moderation/tenants/:tenant', async (req, res) => {
    const tenant = tenantParam(req.params.tenant);
    const policy = parsePolicy(req.body);
    await deps.moderation.setTenant(tenant, policy);
    res.json({ tenant, ...policy });
  });
  router.delete('/admin/moderation/tenants/:tenant', async (req, res) => {
    const tenant = tenantParam(req.params.tenant);
    if (!(await deps.moderation.deleteTenant(tenant))) throw new NotFoundError(`tenant ${tenant} has no policy of its own`);
    res.status(204).end();
  });

  router.post('/admin/moderation/check', async (req, res) => {
    const parsed = ModerationCheckRequest.safeParse(req.body ?? {});
    if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error));
    const { prompt, tenant, safety_tolerance } = parsed.data;
    res.json(await deps.moderation.checkPrompt(tenant, prompt, safety_tolerance));
  });
  return router;
}

const AuditQuery = z.object({
  tenant: z.string().regex(TENANT, 'tenant must be 1-64 of A-Z a-z 0-9 _ . -').optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().regex(/^\d+-\d+$/, 'before must be an entry id from an earlier page').optional(),
});

/** GET /v1/admin/audit — the audit log, newest first (ADMIN_API_KEY only). */
export function adminAuditRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/admin/audit', requireAdmin, async (req, res) => {
    const parsed = AuditQuery.safeParse(req.query);
    if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error));
    const data = await deps.audit.list(parsed.data);
    res.json({ data, next_before: data.length === parsed.data.limit ? data[data.length - 1].id : null, retention_seconds: deps.config.AUDIT_RETENTION_SECONDS });
  });
  return router;
}
