/**
 * Settings that change rarely but are read on every request (a tenant's policy, the moderation
 * lists, a tenant's webhook endpoint, the served models), kept in this process for a moment so a
 * submit does not pay a Redis round trip for each. A change made through this process applies
 * at once (its writer calls `delete`); one made through another process applies `ttlMs` later at
 * the latest. Concurrent misses share one read; a failed read is not kept.
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, { at: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    /** oldest entries go first beyond this many (one per tenant at most, in practice) */
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, read: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && now - cached.at < this.ttlMs) return cached.value;
    const value = read();
    this.entries.delete(key); // re-inserted last: the map's order is the age order
    this.entries.set(key, { at: now, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
