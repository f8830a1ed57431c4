// Entry of a worker process (`flowfarm worker`, or `tsx --conditions=development apps/worker/src/main.ts`).
// Signals: the first SIGTERM/SIGINT drains (no new jobs, running ones finish, exit 0 within
// SHUTDOWN_TIMEOUT_MS); a second one exits at once with 128+signal.
import { pathToFileURL } from 'node:url';
import { createDatasetWebhookNotifier, createWebhookNotifier } from '@flowfarm/webhooks';
import { loadConfig } from './config.js';
import { startWorker, type StartWorkerOptions } from './worker-runtime.js';

/** Webhook notifier; the webhooks helper plugs its factory in here. */
function integrations(): StartWorkerOptions {
  return {
    notifier: ({ redis, prefix }) => createWebhookNotifier({ redis, prefix }),
    datasetNotifier: ({ redis, prefix }) => createDatasetWebhookNotifier({ redis, prefix }),
  };
}

export async function runWorkerProcess(env: Record<string, string | undefined>, options: StartWorkerOptions = integrations()): Promise<number> {
  const config = loadConfig(env);
  // Read before the (slow) model load, so a parent that dies meanwhile is noticed too.
  const parent = process.ppid;
  const worker = await startWorker(config, options);
  return new Promise((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
      worker.logger.info({ signal }, 'worker shutting down');
      worker.close().then(
        (outcome) => resolve(outcome === 'drained' ? 0 : 1),
        () => resolve(1),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    if (config.EXIT_WITH_PARENT) {
      // An orphaned worker is re-parented (ppid changes): drain as if told to stop.
      const watch = setInterval(() => {
        if (process.ppid === parent) return;
        clearInterval(watch);
        onSignal('SIGTERM');
      }, 1000);
    }
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runWorkerProcess(process.env).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`flowfarm worker: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
