/**
 * Every Redis key and channel the farm uses, under one configurable prefix (so tests and
 * several farms can share a Redis). For Redis Cluster use a hash-tagged prefix such as
 * `{flowfarm}`: the job scripts touch several keys at once.
 */
export interface FarmKeys {
  /** BullMQ `prefix` option: queues live under `<prefix>:render.<model>:*`. */
  readonly bullPrefix: string;
  job(id: string): string;
  jobEvents(id: string): string;
  tenantJobs(tenant: string): string;
  tenantActive(tenant: string): string;
  idempotency(tenant: string, key: string): string;
  worker(id: string): string;
  readonly workers: string;
  readonly knownModels: string;
  readonly retention: string;
  readonly eventsChannel: string;
  readonly cancelChannel: string;
  apiKey(hash: string): string;
  readonly apiKeys: string;
  readonly rateLimit: string;
  /** Hash: process id → the probe it left in its local-storage folder (shared-folder check). */
  readonly storageProbes: string;
  /** Hash: a tenant's weight, highest priority and quotas (admin-set). */
  tenantPolicy(tenant: string): string;
  /** Set of tenants with a policy. */
  readonly tenantPolicies: string;
  /** Hash: a model queue's fair-share state (virtual time base, each tenant's finish tag). */
  fairState(model: string): string;
  /** Sorted set: a tenant's queued jobs of one model by fair tag (for priority classes). */
  fairTenantQueue(model: string, tenant: string): string;
  /** Sorted set: jobs of a model given a fair tag whose BullMQ add has not been seen yet. */
  fairPending(model: string): string;
  /** Hash: images and pixel-steps a tenant reserved in one quota period (`d:YYYY-MM-DD`, `m:YYYY-MM`). */
  quotaCounter(tenant: string, period: string): string;
  /** Hash: a tenant's metered usage on one UTC day, per model and key. */
  usageDay(tenant: string, day: string): string;
  /** Set: tenants with usage on one UTC day. */
  usageTenants(day: string): string;
  /** Sorted set: queued jobs by start deadline, running jobs by Cancel-After deadline. */
  readonly deadlines: string;
}

export function farmKeys(prefix: string): FarmKeys {
  const k = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    bullPrefix: prefix,
    job: (id) => k('job', id),
    jobEvents: (id) => k('job', id, 'events'),
    tenantJobs: (tenant) => k('tenant', tenant, 'jobs'),
    tenantActive: (tenant) => k('tenant', tenant, 'active'),
    idempotency: (tenant, key) => k('idem', tenant, key),
    worker: (id) => k('worker', id),
    workers: k('workers'),
    knownModels: k('models'),
    retention: k('retention'),
    eventsChannel: k('events'),
    cancelChannel: k('cancel'),
    apiKey: (hash) => k('apikey', hash),
    apiKeys: k('apikeys'),
    rateLimit: k('rl'),
    storageProbes: k('storage', 'probes'),
    tenantPolicy: (tenant) => k('tenant', tenant, 'policy'),
    tenantPolicies: k('tenants', 'policies'),
    fairState: (model) => k('fair', model),
    fairTenantQueue: (model, tenant) => k('fair', model, 't', tenant),
    fairPending: (model) => k('fair', model, 'pending'),
    quotaCounter: (tenant, period) => k('quota', tenant, period),
    usageDay: (tenant, day) => k('usage', tenant, day),
    usageTenants: (day) => k('usage', 'tenants', day),
    deadlines: k('deadlines'),
  };
}

/** The BullMQ queue that holds one model's render jobs. */
export function renderQueueName(model: string): string {
  return `render.${model}`;
}
