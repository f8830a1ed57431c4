// For tests: a JobLifecycle on the local Redis under a fresh key prefix, and the clean-up that
// removes every key it wrote (call `close` from afterAll).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { farmKeys, type FarmKeys } from '../keys.js';
import { JobLifecycle } from '../lifecycle/index.js';
import { RenderQueues, type RenderJobPolicy } from '../render-queues.js';

export interface LifecycleFixture {
  prefix: string;
  keys: FarmKeys;
  redis: Redis;
  queues: RenderQueues;
  lifecycle: JobLifecycle;
  close(): Promise<void>;
}

export function lifecycleFixture(policy: RenderJobPolicy, redisUrl = 'redis://127.0.0.1:6379'): LifecycleFixture {
  const prefix = `ff-test-${randomUUID()}`;
  const keys = farmKeys(prefix);
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queues = new RenderQueues(redis, keys, policy);
  const lifecycle = new JobLifecycle(redis, keys, queues, { retentionMs: 60_000 });
  return {
    prefix, keys, redis, queues, lifecycle,
    async close() {
      await queues.close();
      const found = await redis.keys(`${prefix}:*`);
      if (found.length) await redis.del(...found);
      redis.disconnect();
    },
  };
}
