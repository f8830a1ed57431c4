import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ApiKeyInfo, JobPriority } from '@flowfarm/contracts';
import type { FarmKeys } from '@flowfarm/queue';

interface StoredKey {
  id: string;
  tenant: string;
  name: string | null;
  created_at: string;
  hash: string;
  max_priority?: JobPriority | null;
}

/** What a key resolves to: its id, tenant and own priority cap. */
export interface KeyIdentity {
  id: string;
  tenant: string;
  max_priority?: JobPriority | null;
}

export const hashApiKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/**
 * Keys made with `flowfarm keys create`: Redis keeps only their SHA-256, so a Redis dump does
 * not leak usable keys. The secret is shown once, when created.
 */
export class ApiKeyStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
  ) {}

  async create(tenant: string, name?: string, maxPriority?: JobPriority): Promise<ApiKeyInfo & { key: string }> {
    const key = `ff_${randomBytes(24).toString('base64url')}`;
    const stored: StoredKey = {
      id: `key_${randomBytes(8).toString('hex')}`,
      tenant,
      name: name ?? null,
      created_at: new Date().toISOString(),
      hash: hashApiKey(key),
      max_priority: maxPriority ?? null,
    };
    const identity: KeyIdentity = { id: stored.id, tenant, ...(maxPriority ? { max_priority: maxPriority } : {}) };
    await this.redis
      .multi()
      .set(this.keys.apiKey(stored.hash), JSON.stringify(identity))
      .hset(this.keys.apiKeys, stored.id, JSON.stringify(stored))
      .exec();
    return { ...publicInfo(stored), key };
  }

  /** The key's id, tenant and priority cap, or null for an unknown or revoked key. */
  async lookup(key: string): Promise<KeyIdentity | null> {
    const value = await this.redis.get(this.keys.apiKey(hashApiKey(key)));
    return value ? (JSON.parse(value) as KeyIdentity) : null;
  }

  async list(): Promise<ApiKeyInfo[]> {
    const all = await this.redis.hvals(this.keys.apiKeys);
    return all
      .map((v) => publicInfo(JSON.parse(v) as StoredKey))
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** false when no such key. */
  async revoke(id: string): Promise<boolean> {
    const value = await this.redis.hget(this.keys.apiKeys, id);
    if (!value) return false;
    const stored = JSON.parse(value) as StoredKey;
    await this.redis.multi().del(this.keys.apiKey(stored.hash)).hdel(this.keys.apiKeys, id).exec();
    return true;
  }
}

function publicInfo(k: StoredKey): ApiKeyInfo {
  return { id: k.id, tenant: k.tenant, name: k.name, max_priority: k.max_priority ?? null, created_at: k.created_at };
}
