import { Router } from 'express';
import type { ApiDeps } from '../deps.js';
import { requireAdmin, requireTenant } from '../auth.js';

/** GET /v1/models (tenants) and GET /v1/admin/workers (operators). */
export function modelsRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/models', async (req, res) => {
    if (!req.isAdmin) requireTenant(req);
    res.json({ data: await deps.workers.liveModels() });
  });
  router.get('/admin/workers', requireAdmin, async (_req, res) => {
    res.json({ data: await deps.workers.liveWorkers() });
  });
  return router;
}
