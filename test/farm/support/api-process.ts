// An API as its own process (the api app's entry, as `flowfarm api` starts it, without the
// launcher in between), for tests and benches that kill it (SIGKILL is
// only real for a process) or measure its CPU. It listens on a fixed port, so a restarted one
// is reached at the same URL.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './farm.js';
import { freePort } from '../../support/free-port.js';

export interface ApiProcess {
  url: string;
  child(): ChildProcess;
  /** SIGKILL (default) or another signal; resolves when it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same environment and port; resolves when /healthz answers. */
  start(): Promise<void>;
  output(): string;
}

export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let output = '';
  const api: ApiProcess = {
    url,
    child: () => child!,
    output: () => output,
    async start() {
      child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(REPO_ROOT, 'apps/api/src/main.ts')], {
        cwd: REPO_ROOT,
        env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const proc = child;
      proc.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      // The API has no EXIT_WITH_PARENT (workers do): a test that exits takes it along.
      const killWithParent = () => proc.kill('SIGKILL');
      process.once('exit', killWithParent);
      proc.once('exit', () => process.off('exit', killWithParent));
      const deadline = Date.now() + 180_000;
      while (!(await fetch(`${url}/healthz`).then((r) => r.ok, () => false))) {
        if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the API did not start:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill(signal = 'SIGKILL') {
      if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  await api.start();
  return api;
}
