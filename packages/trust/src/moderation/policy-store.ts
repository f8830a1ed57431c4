import type { Redis } from 'ioredis';
import { DEFAULT_GLOBAL_POLICY } from './default-policy.js';
import { ModerationPolicy, ReadCache, effectiveTolerance } from '@flowfarm/contracts';
import { PromptModerator, type PromptVerdict } from './prompt-moderator.js';

export interface PromptCheck extends PromptVerdict {
  /** The tolerance the check ran with (requested or default, lowered to the tenant's cap). */
  safety_tolerance: number;
}

/**
 * Global and per-tenant moderation policies, kept as JSON in Redis (`<prefix>:moderation:*`)
 * so every API replica applies the same ones and operators change them without a restart.
 * Compiled moderators are cached by the policies' text, so a submit costs one MGET at most (none
 * while the texts read for its tenant are younger than `cacheMs`).
 */
export class ModerationPolicyStore {
  private readonly cache = new Map<string, { global: ModerationPolicy; own: ModerationPolicy; moderator: PromptModerator }>();
  /** tenant → [global text, tenant text] as last read */
  private readonly texts: ReadCache<Array<string | null>>;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** how long the policy texts read for a tenant are reused; 0: read at every check */
    options: { cacheMs?: number } = {},
  ) {
    this.texts = new ReadCache(options.cacheMs ?? 0);
  }

  private get tenantsKey(): string {
    return `${this.prefix}:moderation:tenants`;
  }

  private key(scope: 'global' | { tenant: string }): string {
    return scope === 'global' ? `${this.prefix}:moderation:global` : `${this.prefix}:moderation:tenant:${scope.tenant}`;
  }

  /** The global policy: the stored one, or the built-in default while none is stored. */
  async getGlobal(): Promise<{ policy: ModerationPolicy; builtin: boolean }> {
    const raw = await this.redis.get(this.key('global'));
    return raw ? { policy: ModerationPolicy.parse(JSON.parse(raw)), builtin: false } : { policy: DEFAULT_GLOBAL_POLICY, builtin: true };
  }

  async getTenant(tenant: string): Promise<ModerationPolicy | null> {
    const raw = await this.redis.get(this.key({ tenant }));
    return raw ? ModerationPolicy.parse(JSON.parse(raw)) : null;
  }

  async setGlobal(policy: ModerationPolicy): Promise<void> {
    await this.redis.set(this.key('global'), JSON.stringify(policy));
    this.texts.clear();
  }

  async setTenant(tenant: string, policy: ModerationPolicy): Promise<void> {
    await this.redis.multi().set(this.key({ tenant }), JSON.stringify(policy)).sadd(this.tenantsKey, tenant).exec();
    this.texts.delete(tenant);
  }

  /** Back to the built-in global policy. */
  async resetGlobal(): Promise<void> {
    await this.redis.del(this.key('global'));
    this.texts.clear();
  }

  /** Removes a tenant's policy; false when it had none. */
  async deleteTenant(tenant: string): Promise<boolean> {
    const [[, deleted]] = (await this.redis.multi().del(this.key({ tenant })).srem(this.tenantsKey, tenant).exec()) as [[Error | null, number], unknown];
    this.texts.delete(tenant);
    return deleted === 1;
  }

  /**
   * Tenants that have a policy of their own, from an index set kept with the policies (not a
   * SCAN: on a Redis Cluster SCAN walks one node only).
   */
  async tenants(): Promise<string[]> {
    return (await this.redis.smembers(this.tenantsKey)).sort();
  }

  /** Checks a prompt for a tenant with the tolerance the job asked for. */
  async checkPrompt(tenant: string, prompt: string, requestedTolerance?: number): Promise<PromptCheck> {
    const [globalRaw, tenantRaw] = await this.texts.get(tenant, () => this.redis.mget(this.key('global'), this.key({ tenant })));
    const cacheKey = `${globalRaw ?? ''}\u0000${tenantRaw ?? ''}`;
    let compiled = this.cache.get(cacheKey);
    if (!compiled) {
      const global = globalRaw ? ModerationPolicy.parse(JSON.parse(globalRaw)) : DEFAULT_GLOBAL_POLICY;
      const own = tenantRaw ? ModerationPolicy.parse(JSON.parse(tenantRaw)) : { terms: [], patterns: [] };
      compiled = { global, own, moderator: new PromptModerator(global, own) };
      if (this.cache.size > 100) this.cache.clear();
      this.cache.set(cacheKey, compiled);
    }
    const { global, own, moderator } = compiled;
    const tolerance = effectiveTolerance(requestedTolerance, own, global);
    return { ...moderator.check(prompt, tolerance), safety_tolerance: tolerance };
  }
}
