export { createApp } from './app.js';
export { buildApi, type BuildApiOptions, type BuiltApi } from './build-api.js';
export { apiConfigSchema, loadConfig, parseStaticKeys, type ApiConfig } from './config.js';
export { apiBaseUrl, type ApiDeps, type ExtraRouter } from './deps.js';
export { createAuth, requireAdmin, requireTenant, type Auth } from './auth.js';
export { ApiKeyStore, hashApiKey } from './api-key-store.js';
export { defaultIntegrations, startApi, runApiProcess, type RunningApi } from './main.js';
export { webRouters, createOpsRouter, createWebUiRouter } from './web/index.js';
