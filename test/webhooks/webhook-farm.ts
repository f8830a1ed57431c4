// A real farm for the webhook end-to-end test and the measurement script: the API in this
// process (it runs the delivery worker too) and worker processes spawned from apps/worker, on a
// fresh Redis prefix and data folder that close() removes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startApi, type RunningApi } from '@flowfarm/api';
import { deleteKeys } from '../farm/support/farm.js';
import { waitUntil } from './receiver.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REDIS_URL = 'redis://127.0.0.1:6379';
export const MODEL = 'tiny-shapes';

export interface WebhookFarm {
  api: RunningApi;
  url: string;
  prefix: string;
  apiKey: string;
  redis: Redis;
  spawnWorker(): ChildProcess;
  killWorkers(): Promise<void>;
  workersRunning(): boolean;
  waitForModel(): Promise<void>;
  close(): Promise<void>;
}

const running = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

export async function startWebhookFarm(apiEnv: Record<string, string> = {}): Promise<WebhookFarm> {
  const prefix = `ff-test-${randomUUID()}`;
  const apiKey = `key-${randomUUID()}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'flowfarm-webhooks-e2e-'));
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const shared = { REDIS_URL, REDIS_PREFIX: prefix, DATA_DIR: dataDir, FILES_SIGNING_SECRET: `s-${randomUUID()}`, LOG_LEVEL: 'warn' };
  const api = await startApi({
    ...shared,
    PORT: '0',
    HOST: '127.0.0.1',
    API_KEYS: `${apiKey}:tenant-e2e`,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_RETRY_SCALE: '0.0002',
    ...apiEnv,
  });
  const workers: ChildProcess[] = [];

  const farm: WebhookFarm = {
    api,
    url: api.url,
    prefix,
    apiKey,
    redis,
    spawnWorker() {
      const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(REPO_ROOT, 'apps', 'worker', 'src', 'main.ts')], {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          ...shared,
          MODELS_DIR: path.join(REPO_ROOT, 'models'),
          MODELS: MODEL,
          METRICS_PORT: '0',
          METRICS_HOST: '127.0.0.1',
          HEARTBEAT_INTERVAL_MS: '300',
          HEARTBEAT_TTL_MS: '1500',
          // A job whose worker died is picked up again quickly.
          LOCK_DURATION_MS: '1000',
          STALLED_INTERVAL_MS: '500',
          PUBLIC_URL: api.url,
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      workers.push(child);
      return child;
    },
    async killWorkers() {
      for (const w of workers) {
        if (running(w)) {
          const exited = new Promise((r) => w.once('exit', r));
          w.kill('SIGKILL');
          await exited;
        }
      }
    },
    workersRunning: () => workers.some(running),
    async waitForModel() {
      await waitUntil(async () => {
        const res = await fetch(`${api.url}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
        const body = (await res.json()) as { data?: Array<{ name: string }> };
        return (body.data ?? []).some((m) => m.name === MODEL);
      }, 'a worker serving the model', 60_000);
    },
    async close() {
      await farm.killWorkers();
      await api.close();
      await deleteKeys(redis, `${prefix}:*`);
      await redis.quit();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return farm;
}
