import type { Logger } from 'pino';
import type { DatasetStore, JobStore } from '@flowfarm/queue';
import type { ResultStorage } from '@flowfarm/storage';

/**
 * Removes finished jobs and datasets past their retention: files first, then the records (a
 * dataset's item records and bitmaps too). Any number of workers may sweep; each expired job or
 * dataset is claimed by exactly one.
 */
export function startRetentionSweeper(store: JobStore, storage: ResultStorage, intervalMs: number, logger: Logger, datasets?: DatasetStore) {
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
        for (;;) {
          const expired = (await datasets?.claimExpired(Date.now())) ?? [];
          for (const record of expired) {
            await storage.removePrefix(`${record.tenant}/${record.id}/`).catch((err: unknown) => logger.warn({ err, datasetId: record.id }, 'could not remove dataset files'));
            await datasets!.remove(record);
          }
          if (expired.length) logger.info({ removed: expired.length }, 'expired datasets removed');
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
