// The API's routes as one list (this package's and the webhook package's declarations) and the
// OpenAPI document made from it: what /openapi.json serves, what scripts/api-docs.ts turns into
// docs/api.md, and what test/api-routes.test.ts holds the served routes to.
import { DECLARED_ROUTES, buildOpenApiDocument, type RouteSpec } from '@flowfarm/contracts';
import { WEBHOOK_API_SCHEMAS, WEBHOOK_ROUTES } from '@flowfarm/webhooks';

/** Every route the API serves (besides the web UI's pages), in document order. */
export const API_ROUTES: readonly RouteSpec[] = [...DECLARED_ROUTES, ...Object.values(WEBHOOK_ROUTES)];

/** The OpenAPI 3.1 document of every declared route. */
export function apiDocument(options: { serverUrl?: string } = {}): Record<string, unknown> {
  return buildOpenApiDocument({ ...options, routes: API_ROUTES, schemas: WEBHOOK_API_SCHEMAS });
}
