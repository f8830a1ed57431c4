import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '@flowfarm/contracts';

export interface RequestRateLimiter {
  /** Counts one request for the key; throws RateLimitedError (429 + Retry-After) when over the limit. */
  consume(keyId: string): Promise<void>;
}

/**
 * Per-key request limit stored in Redis, so it holds across API replicas. A key that went over
 * its limit is also refused from this process's memory for the rest of its window: a client
 * that keeps flooding costs no Redis round trip per refused request.
 */
export function createRequestRateLimiter(redis: Redis, keyPrefix: string, perMinute: number): RequestRateLimiter {
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix, points: perMinute, duration: 60, inMemoryBlockOnConsumed: perMinute + 1 });
  return {
    async consume(keyId) {
      try {
        await limiter.consume(keyId);
      } catch (err) {
        if (err instanceof RateLimiterRes) {
          throw new RateLimitedError('rate_limited', `more than ${perMinute} requests per minute for this key`, err.msBeforeNext / 1000);
        }
        throw err;
      }
    },
  };
}
