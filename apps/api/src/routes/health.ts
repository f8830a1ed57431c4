import { Router } from 'express';
import { pingRedis } from '@flowfarm/queue';
import type { ApiDeps } from '../deps.js';

/** /healthz (the process answers) and /readyz (Redis and storage reachable); no key needed. */
export function healthRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await Promise.allSettled([pingRedis(deps.redis, 2000), deps.storage.check()]);
    const [redis, storage] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'down'));
    const ready = redis === 'ok' && storage === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'unavailable', checks: { redis, storage } });
  });
  return router;
}
