import type { Request } from 'express';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobNotifier } from '@flowfarm/contracts';
import type { FairScheduler, FarmKeys, JobEventHub, JobLifecycle, JobStore, RenderQueues, TenantPolicyStore, UsageLedger, WorkerRegistry } from '@flowfarm/queue';
import type { ResultStorage } from '@flowfarm/storage';
import type { AuditLog, ModerationPolicyStore } from '@flowfarm/trust';
import type { ApiKeyStore } from './api-key-store.js';
import type { Auth } from './auth.js';
import type { ApiConfig } from './config.js';
import type { RequestRateLimiter } from './rate-limit.js';

/** Everything the API needs; createApp takes it, so tests build it against their own Redis prefix. */
export interface ApiDeps {
  config: ApiConfig;
  logger: Logger;
  redis: Redis;
  keys: FarmKeys;
  /** Every change of a job goes through here (submit, cancel; the workers do the rest). */
  lifecycle: JobLifecycle;
  /** Reads of job records (`lifecycle.store`). */
  store: JobStore;
  queues: RenderQueues;
  hub: JobEventHub;
  workers: WorkerRegistry;
  /** Fair-share priorities of render jobs; tenant weights, priority caps and quotas; metered usage. */
  fair: FairScheduler;
  policies: TenantPolicyStore;
  usage: UsageLedger;
  storage: ResultStorage;
  apiKeys: ApiKeyStore;
  auth: Auth;
  rateLimiter: RequestRateLimiter;
  /** Global and per-tenant prompt moderation policies (checked at submit). */
  moderation: ModerationPolicyStore;
  /** Who submitted what, from where, with which moderation outcome (admin API). */
  audit: AuditLog;
  /** Called at each job transition the API makes (queued, canceled while queued). */
  notifier: JobNotifier;
}

/** Base URL for links in answers: PUBLIC_URL, else the request's own origin. */
export function apiBaseUrl(deps: ApiDeps, req: Request): string {
  if (deps.config.PUBLIC_URL) return deps.config.PUBLIC_URL.replace(/\/$/, '');
  return `${req.protocol}://${req.get('host')}`;
}

/** A storage URL as clients use it: local storage answers paths on the API. */
export function absoluteUrl(base: string, url: string): string {
  return url.startsWith('/') ? `${base}${url}` : url;
}
