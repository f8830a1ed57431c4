import { Router } from 'express';
import { KEY_ROUTES, NotFoundError } from '@flowfarm/contracts';
import type { ApiDeps } from '../deps.js';
import { serveRoute } from '../serve-route.js';

/** Key management for `flowfarm keys create|list|revoke` (ADMIN_API_KEY only), declared in contracts' routes/ops.ts. */
export function adminKeysRouter(deps: ApiDeps): Router {
  const router = Router();
  serveRoute(router, '/v1', KEY_ROUTES.create, async (_req, res, { body }) => {
    res.status(201).json(await deps.apiKeys.create(body.tenant, body.name, body.max_priority));
  });
  serveRoute(router, '/v1', KEY_ROUTES.list, async (_req, res) => {
    res.json({ data: await deps.apiKeys.list() });
  });
  serveRoute(router, '/v1', KEY_ROUTES.revoke, async (_req, res, { params: { id } }) => {
    if (!(await deps.apiKeys.revoke(id))) throw new NotFoundError(`no key ${id}`);
    res.status(204).end();
  });
  return router;
}
