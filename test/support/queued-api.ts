// An API against the real Redis and local storage with no worker: a heartbeat announces the
// models a test needs, so submitted jobs are validated and accepted and then stay queued. The
// submit-path tests (stages, image inputs, styles) share it.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildApi, loadConfig, type BuiltApi } from '@flowfarm/api';

/** What a schnell-variant model announces about its limits in a worker heartbeat. */
export const SCHNELL_LIMITS = {
  variant: 'schnell',
  steps: { default: 4, min: 1, max: 50 },
  resolution: { min: 32, max: 256, multiple: 16 },
  default_size: { width: 64, height: 64 },
  guidance: null,
};

type Heartbeat = Parameters<BuiltApi['deps']['workers']['beat']>[0];

export interface QueuedApi {
  api: BuiltApi;
  /** the API's DATA_DIR (local file storage) */
  dataDir: string;
  /** deletes the test's Redis keys and files and closes the API */
  close(): Promise<void>;
}

/** `env`: settings beyond the defaults (API_KEYS at least); `models`: what the heartbeat announces. */
export async function startQueuedApi(env: Record<string, string>, models: Heartbeat['models']): Promise<QueuedApi> {
  const prefix = `ff-test-${randomUUID()}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ff-queued-api-'));
  const config = loadConfig({ REDIS_PREFIX: prefix, DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '1000', LOG_LEVEL: 'silent', ...env });
  const api = buildApi(config, { logger: pino({ level: 'silent' }) });
  const heartbeat: Heartbeat = {
    id: 'w1', host: 'h', pid: 1, concurrency: 1, busy: 0, current_jobs: [], started_at: new Date().toISOString(), draining: false,
    models,
  };
  await api.deps.workers.beat(heartbeat, 60_000);
  return {
    api,
    dataDir,
    async close() {
      const keys = await api.deps.redis.keys(`${prefix}*`);
      if (keys.length) await api.deps.redis.del(...keys);
      await api.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
