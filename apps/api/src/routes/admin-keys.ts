import { Router } from 'express';
import { ApiKeyCreate, NotFoundError, ValidationError, fieldErrorsFromZod } from '@flowfarm/contracts';
import { requireAdmin } from '../auth.js';
import type { ApiDeps } from '../deps.js';

/** Key management for `flowfarm keys create|list|revoke` (ADMIN_API_KEY only). */
export function adminKeysRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use('/admin/keys', requireAdmin);
  router.post('/admin/keys', async (req, res) => {
    const parsed = ApiKeyCreate.safeParse(req.body ?? {});
    if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error));
    res.status(201).json(await deps.apiKeys.create(parsed.data.tenant, parsed.data.name, parsed.data.max_priority));
  });
  router.get('/admin/keys', async (_req, res) => {
    res.json({ data: await deps.apiKeys.list() });
  });
  router.delete('/admin/keys/:id', async (req, res) => {
    if (!(await deps.apiKeys.revoke(req.params.id))) throw new NotFoundError(`no key ${req.params.id}`);
    res.status(204).end();
  });
  return router;
}
