import { Router } from 'express';
import { MODEL_ROUTES } from '@flowfarm/contracts';
import type { ApiDeps } from '../deps.js';
import { requireTenant } from '../auth.js';
import { serveRoute } from '../serve-route.js';

/** GET /v1/models (tenants) and GET /v1/admin/workers (operators), declared in contracts' routes/ops.ts. */
export function modelsRouter(deps: ApiDeps): Router {
  const router = Router();
  serveRoute(router, '/v1', MODEL_ROUTES.models, async (req, res) => {
    if (!req.isAdmin) requireTenant(req);
    res.json({ data: await deps.workers.liveModels() });
  });
  serveRoute(router, '/v1', MODEL_ROUTES.workers, async (_req, res) => {
    res.json({ data: await deps.workers.liveWorkers() });
  });
  return router;
}
