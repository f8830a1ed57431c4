import { Router } from 'express';
import { MODERATION_ROUTES, NotFoundError } from '@flowfarm/contracts';
import type { ApiDeps } from '../deps.js';
import { serveRoute } from '../serve-route.js';

/**
 * Moderation policies for `flowfarm moderation …` (ADMIN_API_KEY only): the global policy
 * (the built-in default until one is stored), per-tenant additions, and a dry-run check.
 * Declared in contracts' routes/moderation.ts.
 */
export function adminModerationRouter(deps: ApiDeps): Router {
  const router = Router();
  const routes = MODERATION_ROUTES;

  serveRoute(router, '/v1', routes.getPolicy, async (_req, res) => {
    const [global, tenants] = await Promise.all([deps.moderation.getGlobal(), deps.moderation.tenants()]);
    res.json({ ...global.policy, builtin: global.builtin, tenants });
  });
  serveRoute(router, '/v1', routes.putPolicy, async (_req, res, { body: policy }) => {
    await deps.moderation.setGlobal(policy);
    res.json({ ...policy, builtin: false });
  });
  serveRoute(router, '/v1', routes.resetPolicy, async (_req, res) => {
    await deps.moderation.resetGlobal();
    res.status(204).end();
  });

  serveRoute(router, '/v1', routes.getTenant, async (_req, res, { params: { tenant } }) => {
    const policy = await deps.moderation.getTenant(tenant);
    if (!policy) throw new NotFoundError(`tenant ${tenant} has no policy of its own`);
    res.json({ tenant, ...policy });
  });
  serveRoute(router, '/v1', routes.putTenant, async (_req, res, { params: { tenant }, body: policy }) => {
    await deps.moderation.setTenant(tenant, policy);
    res.json({ tenant, ...policy });
  });
  serveRoute(router, '/v1', routes.deleteTenant, async (_req, res, { params: { tenant } }) => {
    if (!(await deps.moderation.deleteTenant(tenant))) throw new NotFoundError(`tenant ${tenant} has no policy of its own`);
    res.status(204).end();
  });

  serveRoute(router, '/v1', routes.check, async (_req, res, { body: { prompt, tenant, safety_tolerance } }) => {
    res.json(await deps.moderation.checkPrompt(tenant, prompt, safety_tolerance));
  });
  return router;
}

/** GET /v1/admin/audit — the audit log, newest first (ADMIN_API_KEY only). */
export function adminAuditRouter(deps: ApiDeps): Router {
  const router = Router();
  serveRoute(router, '/v1', MODERATION_ROUTES.audit, async (_req, res, { query }) => {
    const data = await deps.audit.list(query);
    res.json({ data, next_before: data.length === query.limit ? data[data.length - 1].id : null, retention_seconds: deps.config.AUDIT_RETENTION_SECONDS });
  });
  return router;
}
