// The routers this folder adds to the API: operator routes under /v1/admin and the web UI at
// `/` and `/ops`. main.ts passes them to createApp through `extraRouters`.
import type { ApiDeps, ExtraRouter } from '../deps.js';
import { createOpsRouter } from './ops-routes.js';
import { createWebUiRouter, type WebUiRouterOptions } from './web-ui-router.js';

export { createOpsRouter } from './ops-routes.js';
export { createWebUiRouter, DEFAULT_WEB_DIST_DIR, type WebUiRouterOptions } from './web-ui-router.js';

export function webRouters(deps: ApiDeps, options: WebUiRouterOptions = {}): ExtraRouter[] {
  return [
    { path: '/v1/admin', router: createOpsRouter(deps) },
    { path: '/', router: createWebUiRouter(options) },
  ];
}
