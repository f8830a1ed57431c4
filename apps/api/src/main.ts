// Entry of an API process (started by `flowfarm api` and `flowfarm up`, or run as `node apps/api/dist/main.js`): parse the config,
// wire Redis/queues/storage, listen, and shut down cleanly on SIGTERM/SIGINT.
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createQueueCollector, readBullmqQueue } from '@flowfarm/metrics';
import { bullStalledMover, reapDeadWorkers, redisSettingsBelowRecommended, startChore, startSharedFolderProbe } from '@flowfarm/queue';
import { buildApi, type BuildApiOptions } from './build-api.js';
import { loadConfig } from './config.js';
import { answerOutsideExpress } from './server-errors.js';
import type { ApiDeps } from './deps.js';
import { webhookNotifierFor } from './routes/webhooks.js';
import { startDeadlineExpiry } from './deadline-expiry.js';

/** How often the dispatch outbox (prompt chains' next stages) is checked, and how old an entry must be to count as left behind. */
const RECONCILE_INTERVAL_MS = 2000;
const RECONCILE_GRACE_MS = 3000;

export interface RunningApi {
  server: Server;
  url: string;
  deps: ApiDeps;
  close(): Promise<void>;
}

/**
 * An API process: createApp's routes on PORT, plus the chores one API process runs (dispatch
 * reconcile, dead-worker takeover, deadlines, queue metrics). Job transitions go to webhooks
 * (webhookNotifierFor, which also runs the delivery worker unless WEBHOOK_DELIVERY=false)
 * unless `options` names another notifier.
 */
export async function startApi(env: Record<string, string | undefined>, options: BuildApiOptions = { notifier: webhookNotifierFor }): Promise<RunningApi> {
  const config = loadConfig(env);
  const api = buildApi(config, options);
  const { deps } = api;
  // Local storage: refuse to start when the workers write to a folder this process cannot see.
  const probe =
    config.STORAGE === 'local'
      ? await startSharedFolderProbe(deps.redis, deps.keys, path.join(config.DATA_DIR, 'files'), 'api', `api-${os.hostname()}-${process.pid}`).catch(async (err: unknown) => {
          await api.close();
          throw err;
        })
      : null;
  const collector = createQueueCollector({
    readCounts: async () => {
      const [known, live] = await Promise.all([deps.workers.knownModels(), deps.workers.liveModels()]);
      return Promise.all(
        [...known.keys()].map(async (model) => {
          const [{ counts }, { oldestWaitingAt }] = await Promise.all([readBullmqQueue(deps.queues.queue(model)), deps.queues.stats(model, config.JOB_RETENTION_SECONDS * 1000)]);
          // the oldest wait from the records: under fair share the next in line is not always the oldest
          return { model, counts, oldestWaitingAt, workers: live.find((m) => m.name === model)?.workers ?? 0 };
        }),
      );
    },
    onError: (err) => deps.logger.warn({ err }, 'queue metrics read failed'),
  });
  // Jobs recorded whose dispatch token may never have been added (an API died between the two):
  // dispatched again by one API process at a time.
  const reconciler = startChore(
    deps.redis,
    deps.keys,
    'reconcile',
    RECONCILE_INTERVAL_MS,
    async () => {
      const checked = await deps.lifecycle.reconcileDispatch(RECONCILE_GRACE_MS);
      if (checked) deps.logger.info({ checked }, 'dispatch outbox: tokens of chain stages not started yet checked');
    },
    (err) => deps.logger.warn({ err }, 'dispatch reconcile failed'),
  );
  // Fast takeover of dead workers' jobs, the same chore (and lock) the workers run: with no worker
  // alive, their records still go back to waiting (cancel and deadlines end them at once) and
  // their tokens back to the queue.
  const stalled = bullStalledMover(deps.redis, deps.keys, { maxStalledCount: config.MAX_STALLED_COUNT });
  const takeover = startChore(
    deps.redis,
    deps.keys,
    'takeover',
    config.TAKEOVER_INTERVAL_MS,
    async () => {
      const handedBack = await reapDeadWorkers(deps.redis, deps.keys, stalled.move, (jobId, model, worker) => deps.lifecycle.abandoned(jobId, model, worker));
      if (handedBack.length) deps.logger.warn({ jobs: handedBack }, 'jobs of a dead worker handed back to the queue');
    },
    (err) => deps.logger.warn({ err }, 'takeover check failed'),
  );
  const deadlines = startDeadlineExpiry(deps, config.DEADLINE_SWEEP_INTERVAL_MS);
  const server = api.app.listen(config.PORT, config.HOST);
  answerOutsideExpress(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const url = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`;
  deps.logger.info({ url, storage: config.STORAGE, prefix: config.REDIS_PREFIX }, 'api listening');
  for (const advice of await redisSettingsBelowRecommended(deps.redis)) deps.logger.warn(`redis: ${advice} (docs/operations.md)`);

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      collector.stop();
      await reconciler.stop();
      await takeover.stop();
      await stalled.close();
      await deadlines.stop();
      // Event streams never end on their own: stop taking connections, then cut the rest.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(deadline);
      await probe?.close();
      await api.close();
    })());
  return { server, url, deps, close };
}

/** Runs until SIGTERM/SIGINT; a second signal exits at once. */
export async function runApiProcess(env: Record<string, string | undefined>): Promise<number> {
  // Read before start-up, so a parent that dies meanwhile is noticed too.
  const parent = process.ppid;
  const running = await startApi(env);
  return new Promise((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      running.deps.logger.info({ signal }, 'api shutting down');
      running.close().then(
        () => resolve(0),
        (err: unknown) => {
          running.deps.logger.error({ err }, 'api shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    if (running.deps.config.EXIT_WITH_PARENT) {
      // An orphaned API is re-parented (ppid changes): stop as if told to.
      const watch = setInterval(() => {
        if (process.ppid === parent) return;
        clearInterval(watch);
        onSignal('SIGTERM');
      }, 1000);
      watch.unref();
    }
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runApiProcess(process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`flowfarm api: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
