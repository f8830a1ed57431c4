import type { JobEventType } from '@flowfarm/contracts';
import { DeadlineSweeper, toJobView, type JobRecord } from '@flowfarm/queue';
import type { ApiDeps } from './deps.js';
import { countFinishedInApi } from './job-metrics.js';

/**
 * Runs the deadline sweeper in the API process: the API is up whether or not a worker is free,
 * so a job past its start deadline ends `expired` on time (its queue token removed, its
 * `job.expired` webhook sent), and a job past its Cancel-After deadline is canceled.
 */
export function startDeadlineExpiry(deps: ApiDeps, intervalMs: number): DeadlineSweeper {
  const base = (deps.config.PUBLIC_URL ?? '').replace(/\/$/, '');
  const onError = (err: unknown) => deps.logger.warn({ err }, 'deadline sweep failed');
  return new DeadlineSweeper(
    deps.redis,
    deps.keys,
    deps.store,
    {
      removeFromQueue: (record) => deps.queues.removeWaiting(record.model, record.id),
      onFinished: async (record: JobRecord, status) => {
        countFinishedInApi(record, status);
        deps.logger.info({ jobId: record.id, tenant: record.tenant, status }, 'job deadline passed');
        try {
          const latest = (await deps.store.get(record.id)) ?? record;
          const job = await toJobView(latest, { apiBaseUrl: base, outputUrl: (key) => deps.storage.url(key) });
          await deps.notifier.notify({ type: `job.${status}` as JobEventType, tenant: record.tenant, job });
        } catch (err) {
          deps.logger.error({ err, jobId: record.id }, 'notifier failed');
        }
      },
    },
    onError,
  ).start(intervalMs);
}
