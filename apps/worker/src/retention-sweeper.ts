import type { Logger } from 'pino';
import type { JobStore } from '@flowfarm/queue';
import type { ResultStorage } from '@flowfarm/storage';

/**
 * Removes finished jobs past their retention: files first, then the record and events. Any
 * number of workers may sweep; each expired job is claimed by exactly one.
 */
export function startRetentionSweeper(store: JobStore, storage: ResultStorage, intervalMs: number, logger: Logger) {
  let running: Promise<void> | null = null;
  const sweep = () =>
    (running ??= (async () => {
      try {
        for (;;) {
          const expired = await store.claimExpired(Date.now());
          for (const { tenant, id } of expired) {
            await storage.removePrefix(`${tenant}/${id}/`).catch((err: unknown) => logger.warn({ err, jobId: id }, 'could not remove files'));
            await store.remove(tenant, id);
          }
          if (expired.length) logger.info({ removed: expired.length }, 'expired jobs removed');
          if (expired.length < 100) break;
        }
      } catch (err) {
        logger.warn({ err }, 'retention sweep failed');
      } finally {
        running = null;
      }
    })());
  const timer = setInterval(() => void sweep(), intervalMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
