import type { Redis } from 'ioredis';
import { BUILTIN_STYLES, builtinStyle, type StylePreset, type StylePresetInput } from '@flowfarm/contracts';

/** Most presets one tenant may keep (a hash field each). */
export const MAX_TENANT_STYLES = 100;

/**
 * Style presets: the built-in ones (fixed, in contracts) and each tenant's own, kept in one Redis
 * hash per tenant (`<prefix>:tenant:<tenant>:styles`, field = name, value = JSON). A tenant's
 * preset never shadows a built-in: those names are reserved.
 */
export class StyleStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(tenant: string): string {
    return `${this.prefix}:tenant:${tenant}:styles`;
  }

  /** Built-ins first, then the tenant's presets by name. */
  async list(tenant: string): Promise<StylePreset[]> {
    const own = await this.redis.hgetall(this.key(tenant));
    const mine = Object.entries(own)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, json]) => ({ name, source: 'tenant' as const, ...(JSON.parse(json) as StylePresetInput) }));
    return [...BUILTIN_STYLES, ...mine];
  }

  async get(tenant: string, name: string): Promise<StylePreset | undefined> {
    const builtin = builtinStyle(name);
    if (builtin) return builtin;
    const json = await this.redis.hget(this.key(tenant), name);
    return json === null ? undefined : { name, source: 'tenant', ...(JSON.parse(json) as StylePresetInput) };
  }

  /** Creates or replaces a tenant preset; 'reserved' for a built-in name, 'full' past MAX_TENANT_STYLES. */
  async put(tenant: string, name: string, preset: StylePresetInput): Promise<'created' | 'replaced' | 'reserved' | 'full'> {
    if (builtinStyle(name)) return 'reserved';
    const key = this.key(tenant);
    const exists = (await this.redis.hexists(key, name)) === 1;
    if (!exists && (await this.redis.hlen(key)) >= MAX_TENANT_STYLES) return 'full';
    await this.redis.hset(key, name, JSON.stringify(preset));
    return exists ? 'replaced' : 'created';
  }

  /** 'reserved' for a built-in name; false when the tenant has no such preset. */
  async delete(tenant: string, name: string): Promise<boolean | 'reserved'> {
    if (builtinStyle(name)) return 'reserved';
    return (await this.redis.hdel(this.key(tenant), name)) === 1;
  }
}
