// `flowfarm worker`: one worker process (settings from the environment; see
// docs/configuration.md), started from the worker app's entry (app-process.ts). The first
// SIGTERM drains; exit 0 once the running jobs finished.
import { runApp } from '../app-process.js';
import { checkNoArguments } from '../no-argument-command.js';

const USAGE = `usage: flowfarm worker

Runs one worker process: loads the models in MODELS_DIR (or MODELS), serves their queues,
exposes /healthz /readyz /metrics on METRICS_PORT. Settings come from the environment.
`;

export async function run(argv: string[]): Promise<number> {
  const stop = checkNoArguments(argv, USAGE);
  if (stop !== undefined) return stop;
  return runApp('worker');
}
