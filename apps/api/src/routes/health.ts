import { Router } from 'express';
import { HEALTH_ROUTES } from '@flowfarm/contracts';
import { pingRedis } from '@flowfarm/queue';
import type { ApiDeps } from '../deps.js';
import { serveRoute } from '../serve-route.js';

/** /healthz (the process answers) and /readyz (Redis and storage reachable); no key needed. Declared in contracts' routes/ops.ts. */
export function healthRouter(deps: ApiDeps): Router {
  const router = Router();
  serveRoute(router, '', HEALTH_ROUTES.healthz, (_req, res) => {
    res.json({ status: 'ok' });
  });
  serveRoute(router, '', HEALTH_ROUTES.readyz, async (_req, res) => {
    const checks = await Promise.allSettled([pingRedis(deps.redis, 2000), deps.storage.check()]);
    const [redis, storage] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'down'));
    const ready = redis === 'ok' && storage === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks: { redis, storage } });
  });
  return router;
}
