import type { Redis } from 'ioredis';

/**
 * Redis settings the farm is sized for. A job record's hash has fields longer than Redis's
 * default 64-byte limit for the compact (listpack) hash encoding (the request, its input,
 * the quota reservation), and so has BullMQ's job hash; above it Redis keeps each hash as a
 * hash table, twice the memory. With 1024 both stay compact: measured with 2,000 queued
 * 64x64 jobs, the record 1,336 → 728 bytes and BullMQ's hash 680 → 424 bytes, so a queued
 * job costs about 1.8 KB instead of 2.8 KB. Reading a field of a 22-field listpack is a scan
 * of ~1 KB: no slower in practice than the hash table.
 */
export const RECOMMENDED_REDIS_SETTINGS: Readonly<Record<string, string>> = { 'hash-max-listpack-value': '1024' };

/** The settings as redis-server arguments (`--hash-max-listpack-value 1024`), for the servers the farm starts itself. */
export function redisServerArgs(): string[] {
  return Object.entries(RECOMMENDED_REDIS_SETTINGS).flatMap(([name, value]) => [`--${name}`, value]);
}

/**
 * The recommended settings this server has lower: one line per setting, for a start-up warning
 * (the farm works either way; it only uses more memory). Empty when all are met, or when the
 * server does not let clients read its configuration (managed services often refuse CONFIG).
 */
export async function redisSettingsBelowRecommended(redis: Redis): Promise<string[]> {
  const below: string[] = [];
  for (const [name, wanted] of Object.entries(RECOMMENDED_REDIS_SETTINGS)) {
    try {
      const [, value] = (await redis.config('GET', name)) as string[];
      if (value !== undefined && Number(value) < Number(wanted)) below.push(`${name} is ${value}; ${wanted} keeps each queued job's hashes compact (about 1.8 KB a job instead of 2.8 KB)`);
    } catch {
      // CONFIG refused: nothing to say
    }
  }
  return below;
}
