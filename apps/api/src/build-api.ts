import pino, { type Logger } from 'pino';
import type { JobNotifier } from '@flowfarm/contracts';
import { noopNotifier } from '@flowfarm/contracts';
import { FairScheduler, JobEventHub, JobLifecycle, RenderQueues, TenantPolicyStore, UsageLedger, WorkerRegistry, createRedisConnection, farmKeys, toJobView } from '@flowfarm/queue';
import { jobLifecycleMetrics } from '@flowfarm/metrics';
import { createStorage, loadOrCreateSigningSecret, storageConfigFromEnv } from '@flowfarm/storage';
import type { Express } from 'express';
import { AuditLog, ModerationPolicyStore } from '@flowfarm/trust';
import { ApiKeyStore } from './api-key-store.js';
import { createAuth } from './auth.js';
import { parseStaticKeys, type ApiConfig } from './config.js';
import { absoluteUrl, type ApiDeps } from './deps.js';
import { createApp } from './app.js';
import { fairShareOf } from './fair-submit.js';
import { createRequestRateLimiter } from './rate-limit.js';

// Tenant policies and moderation lists are read at every submit and change rarely: each API
// process reuses what it read for this long. A change made through this process applies at once;
// through another replica, this much later at the latest (as webhook endpoints do).
const SETTINGS_CACHE_MS = 1000;

export interface BuildApiOptions {
  logger?: Logger;
  /** A notifier, or a factory that gets the wired deps (for one that shares the API's Redis). */
  notifier?: JobNotifier | ((deps: ApiDeps) => JobNotifier);
}

export interface BuiltApi {
  app: Express;
  deps: ApiDeps;
  /** Closes Redis connections and queues; idempotent. */
  close(): Promise<void>;
}

/** Wires real Redis, queues and storage from the config; used by main.ts and by tests. */
export function buildApi(config: ApiConfig, options: BuildApiOptions = {}): BuiltApi {
  const logger = options.logger ?? pino({ level: config.LOG_LEVEL, name: 'flowfarm-api' });
  const onError = (err: Error) => logger.error({ err }, 'redis error');
  // Auto-pipelining: the commands of every request handled in one turn of the event loop go out
  // in one write (each write is a system call; with many clients the API's largest cost).
  const redis = createRedisConnection(config.REDIS_URL, { name: 'flowfarm-api', onError, enableAutoPipelining: true });
  const subscriber = createRedisConnection(config.REDIS_URL, { name: 'flowfarm-api-events', onError });
  const keys = farmKeys(config.REDIS_PREFIX);
  const signingSecret = config.STORAGE === 'local' ? (config.FILES_SIGNING_SECRET ?? loadOrCreateSigningSecret(config.DATA_DIR)) : '';
  const storage = createStorage(storageConfigFromEnv(config, signingSecret));
  const apiKeys = new ApiKeyStore(redis, keys);
  const queues = new RenderQueues(redis, keys, { attempts: config.JOB_ATTEMPTS, backoffMs: config.JOB_BACKOFF_MS }, onError);
  const baseUrl = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, '');
  const lifecycle = new JobLifecycle(redis, keys, queues, {
    retentionMs: config.JOB_RETENTION_SECONDS * 1000,
    // deps.notifier is set below (its factory gets the deps); read it at each notice
    notifier: { notify: (notice) => deps.notifier.notify(notice) },
    observer: jobLifecycleMetrics,
    view: (record) => toJobView(record, { apiBaseUrl: baseUrl, outputUrl: async (key) => absoluteUrl(baseUrl, await storage.url(key)) }),
    // fair share: each token's priority from the tenant's weight, the job's class and its cost
    fair: (record) => fairShareOf(deps, record),
    fault: config.FLOWFARM_FAULT,
    onError: (err, context) => logger.error({ err }, context),
  });
  const deps: ApiDeps = {
    config,
    logger,
    redis,
    keys,
    lifecycle,
    store: lifecycle.store,
    queues,
    hub: new JobEventHub(subscriber, keys),
    workers: new WorkerRegistry(redis, keys),
    fair: new FairScheduler(redis, keys),
    policies: new TenantPolicyStore(redis, keys, { cacheMs: SETTINGS_CACHE_MS }),
    usage: new UsageLedger(redis, keys),
    storage,
    apiKeys,
    auth: createAuth({ staticKeys: parseStaticKeys(config.API_KEYS), adminKey: config.ADMIN_API_KEY, keyStore: apiKeys }),
    rateLimiter: createRequestRateLimiter(redis, keys.rateLimit, config.RATE_LIMIT_PER_MINUTE),
    moderation: new ModerationPolicyStore(redis, config.REDIS_PREFIX, { cacheMs: SETTINGS_CACHE_MS }),
    audit: new AuditLog(redis, config.REDIS_PREFIX, config.AUDIT_RETENTION_SECONDS * 1000),
    notifier: noopNotifier,
  };
  if (options.notifier) deps.notifier = typeof options.notifier === 'function' ? options.notifier(deps) : options.notifier;
  let closing: Promise<void> | null = null;
  return {
    app: createApp(deps),
    deps,
    close: () =>
      (closing ??= (async () => {
        const notifier = deps.notifier as JobNotifier & { close?: () => Promise<void> };
        await notifier.close?.().catch(() => {});
        await deps.queues.close().catch(() => {});
        await deps.hub.close().catch(() => {});
        redis.disconnect();
      })()),
  };
}
