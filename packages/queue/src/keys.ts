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
  /** Pub/sub channel of one job: its transitions (API processes subscribe only to jobs their clients wait on). */
  jobChannel(id: string): string;
  worker(id: string): string;
  /** Hash: job id → model of the render jobs a worker holds now (written by the start/finish scripts). */
  workerJobs(id: string): string;
  /** Set: ids of workers that have held jobs (the takeover reaper looks for dead ones here). */
  readonly holders: string;
  readonly workers: string;
  /** Sorted set (outbox): a prompt chain's next stages recorded whose BullMQ token may not be added yet, scored by record time. */
  readonly dispatch: string;
  /** Sorted set: the most recent failed jobs (capped), scored by failure time, for the ops view. */
  readonly failures: string;
  /** Short SET NX locks so one process at a time runs a periodic chore (`reconcile`, `reap`). */
  chore(name: string): string;
  readonly knownModels: string;
  readonly retention: string;
  readonly cancelChannel: string;
  /**
   * Pub/sub: `<model> <jobId>` when a job of a tenant with nothing queued went to the head of a
   * queue that other jobs wait in (every worker is busy): a worker makes room for it (fair-jump).
   */
  readonly fairJumpChannel: string;
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
  /** Sorted set: jobs of one model not started yet, by fair start tag (the next to run is the first). */
  fairPending(model: string): string;
  /**
   * Sorted set: a model's jobs waiting for their first claim, by submit time (the oldest-wait
   * gauge reads its head; entries of jobs canceled or expired meanwhile are dropped by the reader).
   */
  waiting(model: string): string;
  /** Sorted set: a model's failed jobs by failure time (the ops view's count of failed jobs still kept). */
  failed(model: string): string;
  /** Sorted set: a tenant's queued jobs of one model by fair tag (for priority classes). */
  fairTenantQueue(model: string, tenant: string): string;
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
    jobChannel: (id) => k('jc', id),
    worker: (id) => k('worker', id),
    workerJobs: (id) => k('worker', id, 'jobs'),
    holders: k('holders'),
    workers: k('workers'),
    dispatch: k('dispatch'),
    failures: k('failures'),
    chore: (name) => k('chore', name),
    knownModels: k('models'),
    retention: k('retention'),
    cancelChannel: k('cancel'),
    fairJumpChannel: k('fair-jump'),
    apiKey: (hash) => k('apikey', hash),
    apiKeys: k('apikeys'),
    rateLimit: k('rl'),
    storageProbes: k('storage', 'probes'),
    tenantPolicy: (tenant) => k('tenant', tenant, 'policy'),
    tenantPolicies: k('tenants', 'policies'),
    fairState: (model) => k('fair', model),
    fairTenantQueue: (model, tenant) => k('fair', model, 't', tenant),
    fairPending: (model) => k('fair', model, 'pending'),
    waiting: (model) => k('waiting', model),
    failed: (model) => k('failed', model),
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
