import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection usable by BullMQ (which needs `maxRetriesPerRequest: null` for its
 * blocking commands) and by the farm's own commands. The caller attaches an `error` listener
 * through `onError`, so a Redis outage is logged instead of crashing the process.
 */
export function createRedisConnection(url: string, options: { name: string; onError?: (err: Error) => void } & RedisOptions): Redis {
  const { name, onError, ...rest } = options;
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: name, ...rest });
  redis.on('error', (err: Error) => onError?.(err));
  return redis;
}

/** Resolves when Redis answers PING within `timeoutMs`, rejects otherwise. */
export async function pingRedis(redis: Redis, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
