import type { Redis } from 'ioredis';
import { KeyRing, type PublicSigningKey } from './signing-key.js';

/**
 * Public provenance keys in Redis (`<prefix>:provenance:keys`, kid → JWK): every worker
 * publishes its key at start, so the API serves all of them — current and rotated-out ones —
 * at /.well-known/flowfarm-keys.json, and files signed before a rotation keep verifying.
 * Removing a key (`revoke`) makes files signed with it answer `unknown_key`.
 */
export class ProvenanceKeyRegistry {
  private readonly key: string;
  private cached: { at: number; ring: KeyRing; list: PublicSigningKey[] } | null = null;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:provenance:keys`;
  }

  /** Publishes a key once; its created_at stays the first publication's. */
  async publish(jwk: PublicSigningKey): Promise<void> {
    await this.redis.hsetnx(this.key, jwk.kid, JSON.stringify(jwk));
    this.cached = null;
  }

  async list(): Promise<PublicSigningKey[]> {
    const all = await this.redis.hgetall(this.key);
    return Object.values(all)
      .map((raw) => JSON.parse(raw) as PublicSigningKey)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  async revoke(kid: string): Promise<boolean> {
    this.cached = null;
    return (await this.redis.hdel(this.key, kid)) === 1;
  }

  /** The published keys as a verifier's key ring, cached for a few seconds. */
  async keyRing(maxAgeMs = 5000): Promise<KeyRing> {
    if (this.cached && Date.now() - this.cached.at < maxAgeMs) return this.cached.ring;
    const list = await this.list();
    const ring = new KeyRing(list);
    this.cached = { at: Date.now(), ring, list };
    return ring;
  }
}
