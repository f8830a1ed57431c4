// The README's quick start, word for word, as a new user meets it: a clean clone of the committed
// tree, `npm ci`, `npm start` with nothing but a free PORT, the curl command it prints run as
// printed, the result URL downloaded and decoded, then the playground in Chromium. No DATA_DIR
// is set: the relative default (./.data) is what this test is about.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePngRgb } from '@flowfarm/pipeline';
import { createRedisConnection } from '@flowfarm/queue';
import { enterKey, generateInPlayground, launchChromium } from '../browser/playground-flow.js';
import { freePort } from '../support/free-port.js';

const exec = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
// Isolation on a shared machine only, not part of what is tested: our own Redis key prefix (a
// farm with the default prefix elsewhere would take our jobs) and a free worker metrics port.
const REDIS_PREFIX = `qs${process.pid}x${Date.now().toString(36)}`;
const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

let dir = '';
let farm: ChildProcess | undefined;
let output = '';
let port = 0;
let browser: Browser | undefined;


/** Resolves with the first match of `pattern` in npm start's output; rejects if it exits first. */
function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const match = output.match(pattern);
      if (match) return done(() => resolve(match));
      if (farm?.exitCode !== null || farm?.signalCode !== null) return done(() => reject(new Error(`npm start exited (${farm?.exitCode ?? farm?.signalCode}):\n${output}`)));
      if (Date.now() > deadline) done(() => reject(new Error(`no ${pattern} in ${timeoutMs} ms:\n${output}`)));
    }, 200);
    const deadline = Date.now() + timeoutMs;
    const done = (then: () => void) => {
      clearInterval(timer);
      then();
    };
  });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Kills npm start's whole process group (npm, sh, flowfarm up, workers, a private redis). */
function killGroup(signal: NodeJS.Signals): void {
  if (farm?.pid === undefined) return;
  try {
    process.kill(-farm.pid, signal);
  } catch {
    // already gone
  }
}

async function deleteOurRedisKeys(): Promise<void> {
  const redis = createRedisConnection(DEFAULT_REDIS, { name: 'quickstart-cleanup', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 1500 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch {
    // No shared Redis: npm start ran a private one inside the temp dir, removed with it.
  } finally {
    redis.disconnect();
  }
}

beforeAll(async () => {
  const { stdout: root } = await exec('git', ['rev-parse', '--show-toplevel'], { cwd: HERE });
  const { stdout: head } = await exec('git', ['rev-parse', 'HEAD'], { cwd: root.trim() });
  dir = await mkdtemp(path.join(os.tmpdir(), 'flowfarm-quickstart-'));
  const clone = path.join(dir, 'flowfarm');
  await exec('git', ['clone', '--quiet', root.trim(), clone]);
  await exec('git', ['checkout', '--quiet', '--detach', head.trim()], { cwd: clone });
  await exec('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: clone, maxBuffer: 64 * 1024 * 1024 });

  port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), REDIS_PREFIX, METRICS_PORT: '0' };
  // Settings a developer's shell or the test runner may carry that a new user would not have.
  for (const name of ['DATA_DIR', 'MODELS_DIR', 'REDIS_URL', 'API_KEYS', 'ADMIN_API_KEY', 'PUBLIC_URL', 'WORKERS', 'NODE_OPTIONS', 'NODE_ENV', 'VITEST', 'VITEST_POOL_ID', 'VITEST_WORKER_ID']) delete env[name];
  farm = spawn('npm', ['start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  farm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  farm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
}, 600_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  if (farm && farm.exitCode === null && farm.signalCode === null) {
    killGroup('SIGKILL');
    await exited(farm);
  }
  await deleteOurRedisKeys();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('quick start on a clean clone', { timeout: 300_000 }, () => {
  let apiKey = '';

  it('npm start prints a curl command that works as printed; its result URL is a PNG', async () => {
    const [command] = await waitForOutput(/ {2}curl [^\n]*\\\n[^\n]*\n/, 240_000);
    apiKey = (await waitForOutput(/API key: (ff_local_\S+)/, 1000))[1]!;
    expect(output).toContain(`farm is up at http://localhost:${port}`);

    const { stdout } = await exec('sh', ['-c', command], { cwd: dir, timeout: 120_000 });
    const job = JSON.parse(stdout) as { status: string; outputs: { url: string; width: number; height: number }[] };
    expect(job.status).toBe('succeeded');
    expect(job.outputs).toHaveLength(1);

    const response = await fetch(job.outputs[0]!.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    const image = decodePngRgb(new Uint8Array(await response.arrayBuffer()));
    expect([image.width, image.height]).toEqual([job.outputs[0]!.width, job.outputs[0]!.height]);
    expect(image.width).toBeGreaterThan(0);
  });

  it('the playground generates an image that loads', async () => {
    expect(apiKey).not.toBe('');
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://localhost:${port}/`);
    await enterKey(page, '#api-key', apiKey);
    const outcome = await generateInPlayground(page, 'a large red circle in the center on a blue background', { steps: 4, seed: 7, model: 'tiny-shapes' });
    expect(outcome.statuses.at(-1)).toBe('Done');
    expect(outcome.imageWidth).toBeGreaterThan(0);
    expect(await page.evaluate(() => (document.getElementById('job-image') as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  });

  it('Ctrl-C stops the farm cleanly', async () => {
    // As a terminal does: SIGINT to the whole foreground process group.
    killGroup('SIGINT');
    const { code, signal } = await exited(farm!);
    expect(output).toContain('SIGINT: stopping');
    expect(output).toContain('flowfarm: stopped');
    expect(output).not.toMatch(/worker \d+ exited|"level":[56]0/);
    // npm itself ends as interrupted (its own Ctrl-C convention) or 0; nothing is left running.
    expect(code === 0 || signal === 'SIGINT').toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(() => process.kill(-farm!.pid!, 0)).toThrow();
  });
});
