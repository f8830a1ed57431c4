import express, { type Express } from 'express';
import { httpMetricsMiddleware } from '@flowfarm/metrics';
import type { ApiDeps } from './deps.js';
import { notFoundHandler, problemHandler } from './problem-handler.js';
import { requestLog } from './request-log.js';
import { adminKeysRouter } from './routes/admin-keys.js';
import { adminAuditRouter, adminModerationRouter } from './routes/admin-moderation.js';
import { provenanceRouter, wellKnownKeysRouter } from './routes/provenance.js';
import { filesRouter } from './routes/files.js';
import { healthRouter } from './routes/health.js';
import { serviceRouter } from './routes/service.js';
import { jobEventsRouter } from './routes/job-events.js';
import { jobsRouter } from './routes/jobs.js';
import { datasetsRouter } from './routes/datasets.js';
import { modelsRouter } from './routes/models.js';
import { stylesRouter } from './routes/styles.js';
import { fairSchedulingRouter } from './routes/fair-scheduling.js';
import { webhooksRouter } from './routes/webhooks.js';
import { createOpsRouter } from './web/ops-routes.js';
import { createWebUiRouter } from './web/web-ui-router.js';

/**
 * The HTTP API as a function of its dependencies, without listen(): tests drive it with
 * supertest, main.ts wires real Redis and storage. Everything the API serves is mounted here:
 * the open routes, the /v1 routes behind authentication and the rate limit, and the web UI
 * (from config.WEB_DIST_DIR).
 */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.TRUST_PROXY);
  app.use(requestLog(deps.logger));
  app.use(httpMetricsMiddleware());

  app.use(healthRouter(deps));
  app.use(serviceRouter(deps));
  app.use(filesRouter(deps));
  app.use(wellKnownKeysRouter(deps));

  const v1 = express.Router();
  v1.use(deps.auth.authenticate);
  v1.use(async (req, _res, next) => {
    await deps.rateLimiter.consume(req.apiKeyId ?? 'anonymous');
    next();
  });
  // job bodies may carry an image as a data: URL; everything else keeps the small limit
  v1.post('/jobs', express.json({ limit: deps.config.JOB_BODY_LIMIT, strict: false }));
  v1.use(express.json({ limit: deps.config.BODY_LIMIT, strict: false }));
  v1.use(jobsRouter(deps));
  v1.use(datasetsRouter(deps));
  v1.use(jobEventsRouter(deps));
  v1.use(modelsRouter(deps));
  v1.use(stylesRouter(deps));
  v1.use(adminKeysRouter(deps));
  v1.use(fairSchedulingRouter(deps));
  v1.use(adminModerationRouter(deps));
  v1.use(adminAuditRouter(deps));
  v1.use(provenanceRouter(deps));
  v1.use(webhooksRouter(deps));
  // the /ops page's operator routes (admin key)
  v1.use('/admin', createOpsRouter(deps));
  app.use('/v1', v1);

  // the playground at / and the operator view at /ops
  app.use(createWebUiRouter({ distDir: deps.config.WEB_DIST_DIR }));

  app.use(notFoundHandler);
  app.use(problemHandler(deps.logger, deps.config.BODY_LIMIT));
  return app;
}
