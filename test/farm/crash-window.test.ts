// A crash at every step of submit, start and finish (FLOWFARM_FAULT: the process SIGKILLs itself
// there) loses nothing and doubles nothing: each job ends succeeded exactly once, with one
// job.succeeded event, and a client retrying with its Idempotency-Key gets the same job.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KEYS, REPO_ROOT, readEvents, startFarm, type Farm } from './support/farm.js';
import { freePort } from '../support/free-port.js';

// Real processes on a small shared machine: starting one can take a minute under load.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

type JobBody = { id: string; status: string; attempt?: number; outputs: Array<{ url: string }> } & Record<string, unknown>;

let farm: Farm;
beforeAll(async () => {
  // the farm's own (in-process) API runs the dispatch reconciler
  farm = await startFarm();
});
afterAll(() => farm?.close());


/** A second API process of the farm that crashes at `fault`. */
async function faultyApi(fault: string): Promise<{ url: string; child: ChildProcess; exited: Promise<NodeJS.Signals | null> }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(REPO_ROOT, 'apps/api/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, ...farm.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', API_KEYS: `${KEYS.acme}:acme`, FLOWFARM_FAULT: fault },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) return { url, child, exited };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`api with ${fault} did not start`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const body = (tag: string) => ({ prompt: `crash window ${tag}`, width: 64, height: 64, steps: 4 });

function post(url: string, tag: string, key: string): Promise<Response> {
  return fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEYS.acme}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify(body(tag)),
  });
}

/** The job succeeded once: one start per run, one job.succeeded, outputs served. */
async function expectSucceededOnce(id: string, runs: number): Promise<void> {
  const done = await farm.waitForJob(id, (j) => ['succeeded', 'failed', 'canceled'].includes(j.status), 120_000);
  expect(done.status).toBe('succeeded');
  expect((await fetch((done as JobBody).outputs[0].url)).status).toBe(200);
  const types = (await readEvents(farm, id)).events.map((e) => e.type);
  expect(types.filter((t) => t === 'job.succeeded')).toHaveLength(1);
  expect(types.filter((t) => t === 'job.started')).toHaveLength(runs);
  expect(types.filter((t) => ['job.failed', 'job.canceled'].includes(t))).toEqual([]);
}

describe('crash windows of the job lifecycle', () => {
  it.each(['submit:after-record'])('an API killed at %s: the job runs once, and the retried key gets it', async (fault) => {
    const api = await faultyApi(fault);
    const key = `crash-${fault}`;
    await expect(post(api.url, fault, key)).rejects.toThrow();
    expect(await api.exited).toBe('SIGKILL');
    // the client retries on a healthy API: the same job, which runs
    const retried = await post(farm.url, fault, key);
    expect(retried.status).toBe(202);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    const { id } = (await retried.json()) as JobBody;
    await expectSucceededOnce(id, 1);
  });

  it.each([
    ['start:after-mark', 2],
    ['finish:before-record', 2],
    ['finish:after-record', 1],
  ] as const)('a worker killed at %s: the job ends succeeded once', async (fault, runs) => {
    for (const w of farm.workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    const faulty = await farm.startWorker({ FLOWFARM_FAULT: fault });
    const res = await farm.call('POST', '/v1/jobs', { body: body(fault) });
    const { id } = (await res.json()) as JobBody;
    expect((await faulty.exited).signal).toBe('SIGKILL');
    // a healthy worker takes over: the dead worker's heartbeat expires and its job is handed back
    await farm.startWorker();
    await expectSucceededOnce(id, runs);
    // nothing left in the queue for it (the token is gone once the job is done)
    await expect.poll(async () => (await farm.redis.exists(`${farm.prefix}:render.tiny-shapes:${id}`)), { timeout: 30_000 }).toBe(0);
  });
});
