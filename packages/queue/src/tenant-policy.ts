import type { Redis } from 'ioredis';
import { ReadCache, type JobPriority, type TenantPolicy, type TenantPolicyUpdate, type TenantQuotas } from '@flowfarm/contracts';
import type { FarmKeys } from './keys.js';

/** Hash field of each quota in the tenant policy hash (the submit script reads these names). */
const QUOTA_FIELDS: Record<keyof TenantQuotas, string> = {
  daily_images: 'q_daily_images',
  daily_megapixel_steps: 'q_daily_mps',
  monthly_images: 'q_monthly_images',
  monthly_megapixel_steps: 'q_monthly_mps',
};

const DEFAULT_MAX_PRIORITY: JobPriority = 'normal';

/**
 * What an operator sets per tenant: its weight in fair share, the highest priority its jobs may
 * ask for, and its quotas. One Redis hash per tenant, read by the submit and fair-share scripts.
 */
export class TenantPolicyStore {
  private readonly cache: ReadCache<TenantPolicy>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
    /** how long a policy read is reused (the API: every submit reads its tenant's); 0: every time */
    options: { cacheMs?: number } = {},
  ) {
    this.cache = new ReadCache(options.cacheMs ?? 0);
  }

  get(tenant: string): Promise<TenantPolicy> {
    return this.cache.get(tenant, async () => policyFromHash(tenant, await this.redis.hgetall(this.keys.tenantPolicy(tenant))));
  }

  /** Applies the given fields (a quota set to null is removed: unlimited) and returns the result. */
  async update(tenant: string, update: TenantPolicyUpdate): Promise<TenantPolicy> {
    const key = this.keys.tenantPolicy(tenant);
    const set: Record<string, string> = {};
    const unset: string[] = [];
    if (update.weight !== undefined) set.weight = String(update.weight);
    if (update.max_priority !== undefined) set.max_priority = update.max_priority;
    for (const [name, field] of Object.entries(QUOTA_FIELDS) as Array<[keyof TenantQuotas, string]>) {
      const value = update.quotas?.[name];
      if (value === null) unset.push(field);
      else if (value !== undefined) set[field] = String(value);
    }
    const tx = this.redis.multi().sadd(this.keys.tenantPolicies, tenant);
    if (Object.keys(set).length) tx.hset(key, set);
    if (unset.length) tx.hdel(key, ...unset);
    await tx.exec();
    this.cache.delete(tenant);
    return this.get(tenant);
  }

  /** Tenants with a policy, by name. */
  async list(): Promise<TenantPolicy[]> {
    const tenants = (await this.redis.smembers(this.keys.tenantPolicies)).sort();
    return Promise.all(tenants.map((t) => this.get(t)));
  }
}

function policyFromHash(tenant: string, h: Record<string, string>): TenantPolicy {
  const quota = (field: string) => (h[field] === undefined || h[field] === '' ? null : Number(h[field]));
  return {
    tenant,
    weight: h.weight ? Number(h.weight) : 1,
    max_priority: (h.max_priority as JobPriority | undefined) ?? DEFAULT_MAX_PRIORITY,
    quotas: {
      daily_images: quota(QUOTA_FIELDS.daily_images),
      daily_megapixel_steps: quota(QUOTA_FIELDS.daily_megapixel_steps),
      monthly_images: quota(QUOTA_FIELDS.monthly_images),
      monthly_megapixel_steps: quota(QUOTA_FIELDS.monthly_megapixel_steps),
    },
  };
}
