// Counts the Redis commands one 4-step 64x64 job without a webhook costs, end to end (submit →
// succeeded), on a private Redis server whose MONITOR shows every command: those that touch the
// job's keys, its model queue's keys (the worker's fetch and finish), or webhook keys. Periodic
// chores (heartbeats, takeover and reconcile checks, stalled checks) are not per job and are set
// far apart here. Fails when the count regresses above the target.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MODEL, startFarm, type Farm } from './support/farm.js';
import { monitorRedis } from './support/redis-commands.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 240_000 });

/** Target of issue 11: raw BullMQ needs about 3 scripts; the farm used to need about 33 commands. */
const MAX_COMMANDS_PER_JOB = 12;
const JOBS = 5;
const PORT = 20_000 + Math.floor(Math.random() * 20_000);

let server: ChildProcess;
let dir: string;
let farm: Farm;
let probe: Redis;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ff-redis-count-'));
  server = spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  // commands wait in ioredis' offline queue while the server starts
  probe = new Redis({ port: PORT, host: '127.0.0.1', retryStrategy: () => 100 });
  await probe.ping();
  const slow = { HEARTBEAT_INTERVAL_MS: '20000', HEARTBEAT_TTL_MS: '60000', TAKEOVER_INTERVAL_MS: '60000', STALLED_INTERVAL_MS: '60000', RETENTION_SWEEP_INTERVAL_MS: '60000' };
  farm = await startFarm({ redisUrl: `redis://127.0.0.1:${PORT}`, workerEnv: slow, apiEnv: { RATE_LIMIT_PER_MINUTE: '100000' } });
});

afterAll(async () => {
  await farm?.close();
  probe?.disconnect();
  server?.kill('SIGTERM');
  if (server) await once(server, 'exit');
  await rm(dir, { recursive: true, force: true });
});

async function runJob(prompt: string): Promise<string> {
  const res = await farm.call('POST', '/v1/jobs', { body: { prompt, width: 64, height: 64, steps: 4 } });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const deadline = Date.now() + 60_000;
  while ((await probe.hget(`${farm.prefix}:job:${id}`, 'status')) !== 'succeeded') {
    if (Date.now() > deadline) throw new Error(`job ${id} did not succeed`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // the worker tells BullMQ right after the record says succeeded: its token is removed
  while ((await probe.exists(`${farm.prefix}:render.${MODEL}:${id}`)) === 1) {
    if (Date.now() > deadline) throw new Error(`job ${id} still in its queue`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return id;
}

const addrOf = async (redis: Redis) => /addr=(\S+)/.exec(String(await redis.client('INFO')))![1];

describe('Redis commands per job', () => {
  it(`a 4-step 64x64 job without a webhook costs at most ${MAX_COMMANDS_PER_JOB} commands`, async () => {
    await runJob('warm up: scripts loaded, connections made'); // one-time costs are not per job
    const ignored = new Set([await addrOf(probe), await addrOf(farm.redis)]);
    // MONITOR on a plain socket (support/redis-commands.ts): ioredis' monitor mode can mistake a
    // MONITOR line for a command's answer on a busy machine ("Command queue state error")
    const monitor = await monitorRedis(`redis://127.0.0.1:${PORT}`);
    // jobs one after the other, as one client would run them; the count is their mean
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) ids.push(await runJob(`a red circle ${i}`));
    const seen = await monitor.stop();

    const queue = `${farm.prefix}:render.${MODEL}:`;
    const counted = seen.filter(({ source, args }) => {
      // commands a script runs show up too (source "lua"): a script is one command
      if (ignored.has(source) || source.includes('lua')) return false;
      const text = args.join(' ');
      if (ids.some((id) => text.includes(id))) return true;
      if (text.includes(queue)) return !text.includes('stalled-check');
      return text.includes(`${farm.prefix}:wh:`);
    });
    const summary = counted.map(({ args }) => `${args[0]} ${args.slice(1).find((a) => a.startsWith(farm.prefix))?.slice(farm.prefix.length) ?? ''}`);
    const perJob = counted.length / JOBS;
    console.log(`${perJob} Redis commands per job (${counted.length} for ${JOBS} jobs):\n  ${summary.join('\n  ')}`);
    expect(perJob).toBeGreaterThan(0);
    expect(perJob, summary.join('\n')).toBeLessThanOrEqual(MAX_COMMANDS_PER_JOB);
  });
});
