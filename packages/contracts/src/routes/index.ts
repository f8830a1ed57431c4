// Every route declared with defineRoute (declare.ts), group by group. The OpenAPI document
// takes its paths for these from here; the API registers them from the same objects.
import type { RouteSpec } from './declare.js';
import { ADMIN_JOB_ROUTES, HEALTH_ROUTES, KEY_ROUTES, MODEL_ROUTES, TENANT_ROUTES } from './ops.js';
import { MODERATION_ROUTES } from './moderation.js';
import { STYLE_ROUTES } from './styles.js';
import { PROVENANCE_ROUTES } from './trust.js';
import { USAGE_ROUTES } from './usage.js';

export * from './declare.js';
export { ADMIN_JOB_ROUTES, HEALTH_ROUTES, KEY_ROUTES, MODEL_ROUTES, TENANT_ROUTES } from './ops.js';
export { MODERATION_ROUTES } from './moderation.js';
export { STYLE_ROUTES } from './styles.js';
export { PROVENANCE_ROUTES, VERIFY_CONTENT_TYPES } from './trust.js';
export { USAGE_ROUTES } from './usage.js';

/** The declared routes, in document order. */
export const DECLARED_ROUTES: readonly RouteSpec[] = [
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
