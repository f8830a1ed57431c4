// Starts a real farm for the client, CLI and browser tests: the API in this process (with the
// web UI and operator routes, as `npm start` mounts them) and one spawned worker process, both
// on a fresh Redis prefix and data folder that `close()` removes again.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startApi, type RunningApi } from '@flowfarm/api';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REDIS_URL = 'redis://127.0.0.1:6379';

export interface TestFarm {
  url: string;
  apiKey: string;
  adminKey: string;
  tenant: string;
  prefix: string;
  model: string;
  api: RunningApi;
  /** Env for child processes (CLI) pointing at this farm. */
  cliEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Stops the worker (SIGTERM, waits for its exit); jobs submitted afterwards stay queued. */
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface TestFarmOptions {
  /** Extra API variables (e.g. MAX_ACTIVE_JOBS_PER_TENANT). */
  apiEnv?: Record<string, string>;
  /** Model folder name under models/ (default tiny-shapes). */
  model?: string;
}

export async function startTestFarm(options: TestFarmOptions = {}): Promise<TestFarm> {
  const prefix = `ff-test-${randomUUID()}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'flowfarm-client-test-'));
  const model = options.model ?? 'tiny-shapes';
  const apiKey = `key-${randomUUID()}`;
  const adminKey = `admin-${randomUUID()}`;
  const tenant = 'tenant-a';
  const shared = { REDIS_URL, REDIS_PREFIX: prefix, DATA_DIR: dataDir, LOG_LEVEL: 'warn', FILES_SIGNING_SECRET: `secret-${randomUUID()}`, WEBHOOK_ALLOW_PRIVATE: 'true' };
  const api = await startApi({ ...shared, PORT: '0', HOST: '127.0.0.1', API_KEYS: `${apiKey}:${tenant}`, ADMIN_API_KEY: adminKey, ...options.apiEnv });

  let worker: ChildProcess | null = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'apps', 'worker', 'src', 'main.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...shared,
      MODELS_DIR: path.join(REPO_ROOT, 'models'),
      MODELS: model,
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      HEARTBEAT_INTERVAL_MS: '300',
      HEARTBEAT_TTL_MS: '1500',
      PUBLIC_URL: api.url,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let workerLog = '';
  worker.stderr?.on('data', (chunk: Buffer) => {
    workerLog = (workerLog + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => worker!.once('exit', () => resolve()));

  const stopWorker = async () => {
    if (!worker) return;
    const child = worker;
    worker = null;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };

  const farm: TestFarm = {
    url: api.url,
    apiKey,
    adminKey,
    tenant,
    prefix,
    model,
    api,
    cliEnv: (extra = {}) => ({ ...process.env, FLOWFARM_API_URL: api.url, FLOWFARM_API_KEY: apiKey, FLOWFARM_ADMIN_KEY: adminKey, ...extra }),
    stopWorker,
    close: async () => {
      await stopWorker();
      await api.close();
      await deletePrefix(prefix);
      await rm(dataDir, { recursive: true, force: true });
    },
  };

  // Ready when the worker's heartbeat lists the model.
  const deadline = Date.now() + 45_000;
  for (;;) {
    const response = await fetch(`${api.url}/v1/models`, { headers: { authorization: `Bearer ${apiKey}` } });
    const body = (await response.json()) as { data?: Array<{ name: string }> };
    if (body.data?.some((m) => m.name === model)) return farm;
    if (worker?.exitCode !== null || Date.now() > deadline) {
      await farm.close();
      throw new Error(`worker did not come up serving ${model}:\n${workerLog}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
