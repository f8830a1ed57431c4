// Farm benchmarks (real Redis at 127.0.0.1:6379, local storage, own key prefixes):
//  1. latency: time from POST /v1/jobs to `succeeded` for one 64x64 job, 20 jobs one after
//     another through one worker process; median and p90, client-observed and server-side.
//  2. throughput: submits per second one API process (its own process) accepts, with
//     BENCH_CONCURRENCY clients; no worker consumes, a heartbeat announces the model.
// Run: npx tsx --conditions=development bench/farm.ts   (BENCH_JOBS=20 BENCH_SUBMITS=2000 BENCH_CONCURRENCY=32 BENCH_ONLY=latency|throughput)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { WorkerRegistry, farmKeys } from '@flowfarm/queue';
import { REPO_ROOT, deleteKeys, startFarm } from '../test/farm/support/farm.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 20);
const SUBMITS = Number(process.env.BENCH_SUBMITS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const ms = (x: number) => `${x.toFixed(0)} ms`;

async function latency(): Promise<void> {
  const farm = await startFarm({ workers: 1, workerEnv: { LOG_LEVEL: 'warn' } });
  try {
    const client: number[] = [];
    const server: number[] = [];
    for (let i = 0; i < JOBS + 2; i++) {
      const t0 = performance.now();
      const res = await farm.call('POST', '/v1/jobs', { body: { prompt: 'a red circle on a blue background', width: 64, height: 64, seed: i }, headers: { Prefer: 'wait=60' } });
      const job = (await res.json()) as { status: string; created_at: string; finished_at: string };
      const elapsed = performance.now() - t0;
      if (job.status !== 'succeeded') throw new Error(`job ended ${job.status}`);
      if (i < 2) continue; // warm-up: first renders pay for lazy initialisation
      client.push(elapsed);
      server.push(Date.parse(job.finished_at) - Date.parse(job.created_at));
    }
    console.log(`latency, 64x64, 4 steps, 1 worker, ${JOBS} jobs in sequence:`);
    console.log(`  submit → succeeded (client, Prefer: wait)  median ${ms(quantile(client, 0.5))}  p90 ${ms(quantile(client, 0.9))}`);
    console.log(`  created_at → finished_at (server)         median ${ms(quantile(server, 0.5))}  p90 ${ms(quantile(server, 0.9))}`);
  } finally {
    await farm.close();
  }
}

/** CPU time (user + system) a process has used, from /proc (Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function throughput(): Promise<void> {
  const prefix = `ff-bench-${randomUUID()}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ff-bench-'));
  const redis = new Redis('redis://127.0.0.1:6379');
  await new WorkerRegistry(redis, farmKeys(prefix)).beat(
    {
      id: 'bench',
      host: 'bench',
      pid: process.pid,
      models: [{ name: 'tiny-shapes', variant: 'schnell', steps: { default: 4, min: 1, max: 50 }, resolution: { min: 32, max: 256, multiple: 16 }, default_size: { width: 64, height: 64 }, guidance: null, provider: 'cpu', latents: 'host' }],
      concurrency: 1,
      busy: 0,
      current_jobs: [],
      started_at: new Date().toISOString(),
      draining: false,
    },
    600_000,
  );
  const port = await freePort();
  const api = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(REPO_ROOT, 'apps/api/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'bench-key:bench', LOG_LEVEL: 'warn', MAX_ACTIVE_JOBS_PER_TENANT: '1000000', RATE_LIMIT_PER_MINUTE: '100000000' },
    stdio: 'inherit',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const submit = async () => {
      const res = await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { Authorization: 'Bearer bench-key', 'Content-Type': 'application/json' }, body: '{"prompt":"a red circle on a blue background"}' });
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`submit answered ${res.status}`);
    };
    for (let i = 0; i < 50; i++) await submit(); // warm-up
    let next = 0;
    const cpu0 = cpuMs(api.pid!);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < SUBMITS) await submit();
    }));
    const seconds = (performance.now() - t0) / 1000;
    const perSubmit = (cpuMs(api.pid!) - cpu0) / SUBMITS;
    console.log(`throughput, one API process, ${CONCURRENCY} concurrent clients, ${SUBMITS} submits:`);
    console.log(`  ${(SUBMITS / seconds).toFixed(0)} submits/s wall clock (${seconds.toFixed(1)} s; each submit = auth + rate limit + validate + Lua create + BullMQ add + webhook notifier)`);
    console.log(`  API CPU per submit ${perSubmit.toFixed(2)} ms → ${(1000 / perSubmit).toFixed(0)} submits/s per fully available core (independent of other load)`);
  } finally {
    api.kill('SIGTERM');
    await new Promise((r) => api.once('exit', r));
    await deleteKeys(redis, `${prefix}*`);
    redis.disconnect();
    await rm(dataDir, { recursive: true, force: true });
  }
}

console.log(`machine: ${(await import('node:os')).cpus().length} cores, load average ${(await import('node:os')).loadavg()[0].toFixed(1)} (other work on the machine shows in these numbers)`);
const only = process.env.BENCH_ONLY;
if (!only || only === 'latency') await latency();
if (!only || only === 'throughput') await throughput();
process.exit(0);
