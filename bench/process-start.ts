// Whole-process times of the `flowfarm` command, as a user runs it (`node apps/cli/bin/flowfarm.js`,
// what `npx flowfarm` execs), each as a ratio to `node -e 0` measured in the same run, runs
// interleaved so machine load affects baseline and command alike. Targets (issue 10):
//   flowfarm --help                    ≤ 2x
//   flowfarm jobs list (against a farm) ≤ 4x   (an API process on a free port, real Redis)
//   flowfarm generate (one 64x64 image) ≤ 7x   (in-process pipeline on the shipped model)
// Run: npx tsx --conditions=development bench/process-start.ts   (BENCH_RUNS=7)
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'apps', 'cli', 'bin', 'flowfarm.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

function timeOnce(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 400)}`);
  return elapsed;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const prefix = `ff-bench-start-${randomUUID()}`;
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ff-bench-start-'));
const outDir = await mkdtemp(path.join(os.tmpdir(), 'ff-bench-out-'));
const port = await freePort();
const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
const api = spawn(process.execPath, [BIN, 'api'], {
  cwd: ROOT,
  env: { ...baseEnv, PORT: String(port), HOST: '127.0.0.1', REDIS_PREFIX: prefix, DATA_DIR: dataDir, API_KEYS: 'bench-key:bench', LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
try {
  for (let i = 0; !(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)); i++) {
    if (i > 600) throw new Error('the API did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const farmEnv = { ...baseEnv, FLOWFARM_API_URL: `http://127.0.0.1:${port}`, FLOWFARM_API_KEY: 'bench-key' };
  const cases = [
    { name: 'flowfarm --help', args: [BIN, '--help'], env: baseEnv, target: 2 },
    { name: 'flowfarm jobs list', args: [BIN, 'jobs', 'list'], env: farmEnv, target: 4 },
    {
      name: 'flowfarm generate (64x64)',
      args: [BIN, 'generate', 'a large red circle in the center on a blue background', '--width', '64', '--height', '64', '--out', path.join(outDir, 'x.png')],
      env: baseEnv,
      target: 7,
    },
  ];
  const baseline: number[] = [];
  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  // One warm-up of each (file system caches), then interleaved measured runs.
  timeOnce(['-e', '0'], baseEnv);
  for (const c of cases) timeOnce(c.args, c.env);
  for (let run = 0; run < RUNS; run++) {
    baseline.push(timeOnce(['-e', '0'], baseEnv));
    for (const c of cases) times.get(c.name)!.push(timeOnce(c.args, c.env));
  }
  const base = median(baseline);
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}; median of ${RUNS} runs each`);
  console.log(`  node -e 0 (baseline)        ${base.toFixed(0).padStart(5)} ms`);
  for (const c of cases) {
    const t = median(times.get(c.name)!);
    const ratio = t / base;
    console.log(`  ${c.name.padEnd(27)} ${t.toFixed(0).padStart(5)} ms  ${ratio.toFixed(1).padStart(5)}x node -e 0  (target ≤ ${c.target}x${ratio <= c.target ? ', met' : ', NOT met'})`);
  }
} finally {
  api.kill('SIGTERM');
  await new Promise((r) => api.once('exit', r));
  const { Redis } = await import('ioredis');
  const redis = new Redis('redis://127.0.0.1:6379');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
  await rm(dataDir, { recursive: true, force: true });
  await rm(outDir, { recursive: true, force: true });
}
