import { Router } from 'express';
import { ConflictError, NotFoundError, STYLE_ROUTES } from '@flowfarm/contracts';
import { requireTenant } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { serveRoute } from '../serve-route.js';
import { MAX_TENANT_STYLES, StyleStore } from '../style-store.js';

/** GET /v1/styles, GET/PUT/DELETE /v1/styles/:name — style presets, tenant-scoped (declared in contracts' routes/styles.ts). */
export function stylesRouter(deps: ApiDeps): Router {
  const router = Router();
  const styles = new StyleStore(deps.redis, deps.keys.bullPrefix);

  serveRoute(router, '/v1', STYLE_ROUTES.list, async (req, res) => {
    res.json({ data: await styles.list(requireTenant(req)) });
  });

  serveRoute(router, '/v1', STYLE_ROUTES.get, async (req, res, { params }) => {
    const preset = await styles.get(requireTenant(req), params.name);
    if (!preset) throw new NotFoundError(`no style ${params.name}`);
    res.json(preset);
  });

  serveRoute(router, '/v1', STYLE_ROUTES.put, async (req, res, { params: { name }, body }) => {
    const outcome = await styles.put(requireTenant(req), name, body);
    if (outcome === 'reserved') throw new ConflictError('style_builtin', `${name} is a built-in style; choose another name`);
    if (outcome === 'full') throw new ConflictError('too_many_styles', `at most ${MAX_TENANT_STYLES} styles per tenant; delete one first`);
    res.status(outcome === 'created' ? 201 : 200).json({ name, source: 'tenant', ...body });
  });

  serveRoute(router, '/v1', STYLE_ROUTES.delete, async (req, res, { params: { name } }) => {
    const outcome = await styles.delete(requireTenant(req), name);
    if (outcome === 'reserved') throw new ConflictError('style_builtin', `${name} is a built-in style and cannot be deleted`);
    if (!outcome) throw new NotFoundError(`no style ${name}`);
    res.status(204).end();
  });

  return router;
}
