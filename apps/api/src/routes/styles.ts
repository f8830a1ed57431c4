import { Router } from 'express';
import { ConflictError, NotFoundError, StyleName, StylePresetInput, ValidationError, fieldErrorsFromZod } from '@flowfarm/contracts';
import { requireTenant } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { MAX_TENANT_STYLES, StyleStore } from '../style-store.js';

function styleName(raw: string): string {
  const parsed = StyleName.safeParse(raw);
  if (!parsed.success) throw new ValidationError([{ path: 'name', message: parsed.error.issues[0]?.message ?? 'invalid style name' }]);
  return parsed.data;
}

/** GET /v1/styles, GET/PUT/DELETE /v1/styles/:name — style presets, tenant-scoped. */
export function stylesRouter(deps: ApiDeps): Router {
  const router = Router();
  const styles = new StyleStore(deps.redis, deps.keys.bullPrefix);

  router.get('/styles', async (req, res) => {
    res.json({ data: await styles.list(requireTenant(req)) });
  });

  router.get('/styles/:name', async (req, res) => {
    const preset = await styles.get(requireTenant(req), styleName(req.params.name));
    if (!preset) throw new NotFoundError(`no style ${req.params.name}`);
    res.json(preset);
  });

  router.put('/styles/:name', async (req, res) => {
    const tenant = requireTenant(req);
    const name = styleName(req.params.name);
    const parsed = StylePresetInput.safeParse(req.body);
    if (!parsed.success) throw new ValidationError(fieldErrorsFromZod(parsed.error));
    const outcome = await styles.put(tenant, name, parsed.data);
    if (outcome === 'reserved') throw new ConflictError('style_builtin', `${name} is a built-in style; choose another name`);
    if (outcome === 'full') throw new ConflictError('too_many_styles', `at most ${MAX_TENANT_STYLES} styles per tenant; delete one first`);
    res.status(outcome === 'created' ? 201 : 200).json({ name, source: 'tenant', ...parsed.data });
  });

  router.delete('/styles/:name', async (req, res) => {
    const tenant = requireTenant(req);
    const name = styleName(req.params.name);
    const outcome = await styles.delete(tenant, name);
    if (outcome === 'reserved') throw new ConflictError('style_builtin', `${name} is a built-in style and cannot be deleted`);
    if (!outcome) throw new NotFoundError(`no style ${name}`);
    res.status(204).end();
  });

  return router;
}
