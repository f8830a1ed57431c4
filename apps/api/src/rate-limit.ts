import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '@flowfarm/contracts';

export interface RequestRateLimiter {
  /** Counts one request for the key; throws RateLimitedError (429 + Retry-After) when over the limit. */
  consume(keyId: string): Promise<void>;
}

/**
 * Per-key request limit stored in Redis, so it holds across API replicas. Every request is
 * counted there, but a request does not always wait for its count: while the key's last count
 * left more than `headroom` requests in the window, the request goes on as the count is made
 * (each one lowers the known remainder at once, so one process's burst cannot outrun it). Near
 * the limit, and after the window turned, each request waits for its count, so a key never gets
 * more than its limit (plus what other replicas let through in the same instant). A key that went
 * over is refused from this process's memory for the rest of its window: a client that keeps
 * flooding costs no Redis round trip per refused request.
 */
export function createRequestRateLimiter(redis: Redis, keyPrefix: string, perMinute: number): RequestRateLimiter {
  const limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix, points: perMinute, duration: 60, inMemoryBlockOnConsumed: perMinute + 1 });
  const headroom = Math.max(8, Math.ceil(perMinute / 10));
  /** key → what its last count left, and until when that holds */
  const known = new Map<string, { remaining: number; until: number }>();
  const limited = (err: RateLimiterRes) => new RateLimitedError('rate_limited', `more than ${perMinute} requests per minute for this key`, err.msBeforeNext / 1000);

  return {
    async consume(keyId) {
      const counted = limiter.consume(keyId).then(
        (res) => void known.set(keyId, { remaining: res.remainingPoints, until: Date.now() + res.msBeforeNext }),
        (err: unknown) => {
          if (!(err instanceof RateLimiterRes)) throw err;
          known.set(keyId, { remaining: 0, until: Date.now() + err.msBeforeNext });
          throw limited(err);
        },
      );
      const last = known.get(keyId);
      if (last && last.remaining > headroom && Date.now() < last.until) {
        last.remaining--;
        counted.catch(() => {}); // a failed count shows on the next request
        return;
      }
      if (known.size > 100_000) known.clear();
      await counted;
    },
  };
}
