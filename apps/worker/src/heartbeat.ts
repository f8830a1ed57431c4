import os from 'node:os';
import type { Logger } from 'pino';
import type { WorkerModel } from '@flowfarm/contracts';
import type { WorkerRegistry } from '@flowfarm/queue';

export interface HeartbeatState {
  id: string;
  models: WorkerModel[];
  concurrency: number;
  current: Set<string>;
  startedAt: string;
  draining: boolean;
}

/** Refreshes this worker's heartbeat key every interval; `stop` removes it so the worker leaves at once. */
export function startHeartbeat(registry: WorkerRegistry, state: HeartbeatState, intervalMs: number, ttlMs: number, logger: Logger) {
  const beat = () =>
    registry
      .beat(
        {
          id: state.id,
          host: os.hostname(),
          pid: process.pid,
          models: state.models,
          concurrency: state.concurrency,
          busy: state.current.size,
          current_jobs: [...state.current],
          started_at: state.startedAt,
          draining: state.draining,
        },
        ttlMs,
      )
      .catch((err: unknown) => logger.warn({ err }, 'heartbeat failed'));
  const timer = setInterval(beat, intervalMs);
  timer.unref();
  return {
    beat,
    async stop() {
      clearInterval(timer);
      await registry.remove(state.id).catch(() => {});
    },
  };
}
