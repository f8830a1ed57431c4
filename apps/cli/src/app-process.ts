// The api and the worker are apps of their own: the CLI starts their entry points as processes
// and never imports them. Each entry is found through its package's "./main" export, so the
// compiled CLI starts dist/main.js, and a CLI that runs the TypeScript sources (tests,
// development) starts the sources through tsx with the "development" condition.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type AppName = 'api' | 'worker';

/** Node arguments that run the app's process entry. */
export function appCommandArgs(app: AppName): string[] {
  const file = fileURLToPath(import.meta.resolve(`@flowfarm/${app}/main`));
  return file.endsWith('.ts') ? ['--conditions=development', '--import', import.meta.resolve('tsx'), file] : [file];
}

export function spawnApp(app: AppName, options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, appCommandArgs(app), options);
}

/**
 * `flowfarm api` and `flowfarm worker`: the app as a child with this process's stdio and
 * environment, ending as it ends (its exit code, or the signal that killed it). SIGTERM (what
 * Docker, Kubernetes and `flowfarm up` send) is passed on; SIGINT is not, because a terminal's
 * Ctrl-C reaches the whole process group, the child included, and a second signal would make
 * it stop without draining. EXIT_WITH_PARENT: a killed launcher does not leave the app running.
 */
export async function runApp(app: AppName): Promise<number> {
  const child = spawnApp(app, { stdio: 'inherit', env: { ...process.env, EXIT_WITH_PARENT: 'true' } });
  const onTerm = () => child.kill('SIGTERM');
  const onInt = () => {};
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('error', () => resolve({ code: 1, signal: null }));
    child.once('exit', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal }));
  });
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  // killed by a signal: end the same way, so whoever started `flowfarm` sees what happened
  if (signal) process.kill(process.pid, signal);
  return code ?? 1;
}
