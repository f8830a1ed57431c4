import { Router } from 'express';
import { SERVICE_ROUTES } from '@flowfarm/contracts';
import { metricsHandler } from '@flowfarm/metrics';
import { apiDocument } from '../api-document.js';
import type { ApiDeps } from '../deps.js';
import { serveRoute } from '../serve-route.js';

/** GET /openapi.json (built once, from the route declarations) and GET /metrics; no key needed. Declared in contracts' routes/service.ts. */
export function serviceRouter(deps: ApiDeps): Router {
  const router = Router();
  const openapi = apiDocument({ serverUrl: deps.config.PUBLIC_URL });
  serveRoute(router, '', SERVICE_ROUTES.openapi, (_req, res) => {
    res.json(openapi);
  });
  serveRoute(router, '', SERVICE_ROUTES.metrics, metricsHandler);
  return router;
}
