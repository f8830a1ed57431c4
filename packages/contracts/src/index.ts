export * from './job-events.js';
export * from './job-input.js';
export * from './job-view.js';
export * from './models.js';
export * from './errors.js';
export { buildOpenApiDocument } from './openapi.js';
export * from './ops.js';
export { farmEnvSchema, envBoolean, describeEnv, type FarmEnv } from './farm-env.js';
export * from './moderation.js';
