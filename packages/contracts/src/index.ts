export * from './job-events.js';
export * from './job-input.js';
export * from './aspect-ratio.js';
export * from './palette.js';
export * from './styles.js';
export * from './job-view.js';
export * from './models.js';
export * from './errors.js';
export { buildOpenApiDocument, type OpenApiOptions } from './openapi.js';
export * from './ops.js';
export { farmEnvSchema, envBoolean, envPath, describeEnv, clusterSafePrefix, isRedisClusterUrl, withClusterSafePrefix, type FarmEnv } from './farm-env.js';
export * from './moderation.js';
export * from './layout.js';
export { projectScene, DEFAULT_FOV_DEG, type ProjectionResult } from './scene-projection.js';
export * from './provenance.js';
export * from './dataset-spec.js';
export { assembleDatasetFiles, cocoCategories, pixelBox, type DatasetFilesSource, type ManifestLine } from './dataset-files.js';
export { datasetItem, type DatasetItem } from './dataset-items.js';
export * from './dataset-view.js';
export * from './fairness.js';
export { ReadCache } from './read-cache.js';
export {
  ADMIN_JOB_ROUTES,
  DATASET_ROUTES,
  DECLARED_ROUTES,
  HEALTH_ROUTES,
  JOB_ROUTES,
  KEY_ROUTES,
  MODEL_ROUTES,
  MODERATION_ROUTES,
  PROVENANCE_ROUTES,
  SERVICE_ROUTES,
  STYLE_ROUTES,
  USAGE_ROUTES,
  VERIFY_CONTENT_TYPES,
  TENANT_ROUTES,
  defineRoute,
  expressPath,
  jsonBodyErrors,
  keyErrors,
  needsAdmin,
  needsKey,
  ok,
  problem,
  retryAfterHeader,
  type HeaderSpec,
  type ResponseSpec,
  type RouteInput,
  type RouteSpec,
} from './routes/index.js';
