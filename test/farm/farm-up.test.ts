// `flowfarm up` (what `npm start` runs) as a user meets it: a private Redis when none answers,
// a printed key and curl example that work, a clean stop on SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from './support/farm.js';
import { freePort } from '../support/free-port.js';

// Real processes on a small shared machine: starting a worker can take a minute under load.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

const MAIN = path.join(REPO_ROOT, 'apps/cli/src/main.ts');
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});


function startUp(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', MAIN, 'up'], { cwd: REPO_ROOT, env: { ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('flowfarm up', () => {
  it('starts a private Redis, prints a working key and curl example, and stops cleanly', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ff-up-'));
    dirs.push(dataDir);
    const [port, deadRedis] = [await freePort(), await freePort()];
    const up = startUp({ PATH: process.env.PATH ?? '', PORT: String(port), WORKERS: '1', DATA_DIR: dataDir, REDIS_URL: `redis://127.0.0.1:${deadRedis}`, METRICS_PORT: '0' });
    try {
      const deadline = Date.now() + 120_000;
      while (!up.output().includes('curl -s') && Date.now() < deadline && up.child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
      const out = up.output();
      expect(out).toContain('started a private redis-server');
      const key = /API key: (\S+)/.exec(out)?.[1];
      expect(key).toMatch(/^ff_local_/);
      expect(out).toContain(`http://localhost:${port}`);

      const res = await fetch(`http://localhost:${port}/v1/jobs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', Prefer: 'wait=60' },
        body: JSON.stringify({ prompt: 'a red circle on a blue background' }),
      });
      expect(res.status).toBe(200);
      const job = (await res.json()) as { status: string; outputs: Array<{ url: string }> };
      expect(job.status).toBe('succeeded');
      const png = await fetch(job.outputs[0].url);
      expect(png.headers.get('content-type')).toBe('image/png');

      up.child.kill('SIGTERM');
      expect(await up.exited).toBe(0);
      expect(up.output()).toContain('stopped');
      expect(existsSync(path.join(dataDir, 'redis', 'appendonlydir'))).toBe(true);
    } finally {
      if (up.child.exitCode === null) up.child.kill('SIGKILL');
    }
  }, 180_000);

  it('says what to install when no Redis answers and redis-server is missing', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ff-up-'));
    dirs.push(dataDir);
    const up = startUp({ PATH: '/nonexistent', PORT: String(await freePort()), DATA_DIR: dataDir, REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(await up.exited).toBe(1);
    expect(up.output()).toMatch(/Redis does not answer.*\n.*apt-get install redis-server/);
  });
});
