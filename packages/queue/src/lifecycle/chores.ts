import type { Redis } from 'ioredis';
import type { FarmKeys } from '../keys.js';

export interface Chore {
  /** Runs the chore now if no process holds its lock (tests, shutdown). */
  runOnce(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs `work` every `intervalMs` in whichever process takes the chore's short lock (SET NX PX):
 * any number of processes may start the same chore, one at a time does it.
 */
export function startChore(redis: Redis, keys: FarmKeys, name: string, intervalMs: number, work: () => Promise<void>, onError: (err: unknown) => void): Chore {
  let running: Promise<void> | null = null;
  const runOnce = () =>
    (running ??= (async () => {
      try {
        const got = await redis.set(keys.chore(name), String(process.pid), 'PX', Math.max(intervalMs, 500), 'NX');
        if (got === 'OK') await work();
      } catch (err) {
        onError(err);
      } finally {
        running = null;
      }
    })());
  const timer = setInterval(() => void runOnce(), intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
