// Every route of this package, declared with defineRoute (declare.ts), group by group. The
// OpenAPI document takes its paths from here (with the webhook routes, declared in
// @flowfarm/webhooks); the API registers each route from the same object.
import type { RouteSpec } from './declare.js';
import { ADMIN_JOB_ROUTES, HEALTH_ROUTES, KEY_ROUTES, MODEL_ROUTES, TENANT_ROUTES } from './ops.js';
import { DATASET_ROUTES } from './datasets.js';
import { JOB_ROUTES } from './jobs.js';
import { SERVICE_ROUTES } from './service.js';
import { MODERATION_ROUTES } from './moderation.js';
import { STYLE_ROUTES } from './styles.js';
import { PROVENANCE_ROUTES } from './trust.js';
import { USAGE_ROUTES } from './usage.js';

export * from './declare.js';
export { ADMIN_JOB_ROUTES, HEALTH_ROUTES, KEY_ROUTES, MODEL_ROUTES, TENANT_ROUTES } from './ops.js';
export { DATASET_ROUTES } from './datasets.js';
export { JOB_ROUTES } from './jobs.js';
export { SERVICE_ROUTES } from './service.js';
export { MODERATION_ROUTES } from './moderation.js';
export { STYLE_ROUTES } from './styles.js';
export { PROVENANCE_ROUTES, VERIFY_CONTENT_TYPES } from './trust.js';
export { USAGE_ROUTES } from './usage.js';

/** The declared routes, in document order. */
export const DECLARED_ROUTES: readonly RouteSpec[] = [
  ...Object.values(JOB_ROUTES),
  ...Object.values(DATASET_ROUTES),
  ...Object.values(SERVICE_ROUTES),
  ...Object.values(HEALTH_ROUTES),
  ...Object.values(MODEL_ROUTES),
  ...Object.values(KEY_ROUTES),
  ...Object.values(TENANT_ROUTES),
  ...Object.values(ADMIN_JOB_ROUTES),
  ...Object.values(STYLE_ROUTES),
  ...Object.values(MODERATION_ROUTES),
  ...Object.values(PROVENANCE_ROUTES),
  ...Object.values(USAGE_ROUTES),
];
