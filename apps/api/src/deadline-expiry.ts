import { DeadlineSweeper } from '@flowfarm/queue';
import type { ApiDeps } from './deps.js';

/**
 * Runs the deadline sweeper in the API process: the API is up whether or not a worker is free,
 * so a job past its start deadline ends `expired` on time (through the lifecycle: its queue token
 * removed, its `job.expired` webhook sent, counted), and a job past its Cancel-After deadline is
 * canceled.
 */
export function startDeadlineExpiry(deps: ApiDeps, intervalMs: number): DeadlineSweeper {
  const onError = (err: unknown) => deps.logger.warn({ err }, 'deadline sweep failed');
  return new DeadlineSweeper(
    deps.redis,
    deps.keys,
    deps.lifecycle,
    { onFinished: async (record, status) => deps.logger.info({ jobId: record.id, tenant: record.tenant, status }, 'job deadline passed') },
    onError,
  ).start(intervalMs);
}
