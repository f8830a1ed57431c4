// `flowfarm api`: one API process (settings from the environment; see docs/configuration.md).
// The CLI is the farm's launcher: it starts the api app's entry as a process (app-process.ts).
import { runApp } from '../app-process.js';
import { checkNoArguments } from '../no-argument-command.js';

const USAGE = `usage: flowfarm api

Runs one API process. Settings come from the environment (PORT, REDIS_URL, API_KEYS,
ADMIN_API_KEY, STORAGE, …; see docs/configuration.md).
`;

export async function run(argv: string[]): Promise<number> {
  const stop = checkNoArguments(argv, USAGE);
  if (stop !== undefined) return stop;
  return runApp('api');
}
