// The farm the client, CLI and browser tests run against: the farm helper's harness
// (test/farm/support/farm.ts: API in this process, a spawned worker, own Redis prefix and data
// folder); createApp mounts the web UI and operator routes as in `npm start`.
import type { RunningApi } from '@flowfarm/api';
import { KEYS, MODEL, REPO_ROOT, startFarm, type Farm } from '../farm/support/farm.js';

export { REPO_ROOT };

export interface TestFarm {
  url: string;
  apiKey: string;
  adminKey: string;
  tenant: string;
  prefix: string;
  model: string;
  api: RunningApi;
  farm: Farm;
  /** Env for child processes (CLI) pointing at this farm. */
  cliEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Stops the workers gracefully (SIGTERM); jobs submitted afterwards stay queued. */
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

export interface TestFarmOptions {
  /** Extra API variables (e.g. MAX_ACTIVE_JOBS_PER_TENANT). */
  apiEnv?: Record<string, string>;
}

export async function startTestFarm(options: TestFarmOptions = {}): Promise<TestFarm> {
  // every step reported (the SDK, CLI and browser tests show each one), not one per 200 ms
  const farm = await startFarm({ apiEnv: options.apiEnv, workerEnv: { PROGRESS_INTERVAL_MS: '0' } });
  return {
    url: farm.url,
    apiKey: KEYS.acme,
    adminKey: KEYS.admin,
    tenant: 'acme',
    prefix: farm.prefix,
    model: MODEL,
    api: farm.api,
    farm,
    cliEnv: (extra = {}) => ({ ...process.env, FLOWFARM_API_URL: farm.url, FLOWFARM_API_KEY: KEYS.acme, FLOWFARM_ADMIN_KEY: KEYS.admin, ...extra }),
    stopWorker: async () => {
      for (const worker of farm.workers) if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
      await Promise.all(farm.workers.map((worker) => worker.exited));
    },
    close: () => farm.close(),
  };
}
