// `flowfarm api` starts the api app's entry as a process of its own (the CLI never imports the
// app): the API answers, SIGTERM to the launcher stops both with exit 0, and a launcher that
// is SIGKILLed does not leave the API running (EXIT_WITH_PARENT).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../farm/support/farm.js';
import { freePort } from '../support/free-port.js';

vi.setConfig({ testTimeout: 180_000 });

const BIN = path.join(REPO_ROOT, 'apps/cli/bin/flowfarm.js');
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});


const answers = (url: string) => fetch(`${url}/healthz`).then((r) => r.ok, () => false);

async function startApiCommand() {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ff-launch-'));
  dirs.push(dataDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // the compiled CLI, as Docker and `npx flowfarm api` run it
  const child = spawn(process.execPath, [BIN, 'api'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, REDIS_PREFIX: `ff-launch-${randomUUID()}`, LOG_LEVEL: 'warn', WEBHOOK_DELIVERY: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + 120_000;
  while (!(await answers(url))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`flowfarm api did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, exited };
}

describe('flowfarm api', () => {
  it('runs the api entry as a process and stops with it on SIGTERM', async () => {
    const api = await startApiCommand();
    const openapi = await fetch(`${api.url}/openapi.json`);
    expect(openapi.status).toBe(200);
    api.child.kill('SIGTERM');
    expect(await api.exited).toEqual({ code: 0, signal: null });
    expect(await answers(api.url)).toBe(false);
  });

  it('does not leave the API running when the launcher is killed', async () => {
    const api = await startApiCommand();
    api.child.kill('SIGKILL');
    expect((await api.exited).signal).toBe('SIGKILL');
    const deadline = Date.now() + 30_000;
    while ((await answers(api.url)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await answers(api.url)).toBe(false);
  });
});
