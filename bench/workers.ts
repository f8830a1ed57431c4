// Worker scaling: jobs per second of WORKERS=2 against WORKERS=1 on this machine, with the
// worker defaults before and after issue 11, all measured in this run. A real farm: the API in
// this process, worker processes started through `flowfarm worker` (test/farm/support), Redis
// at 127.0.0.1:6379, local storage, provenance and watermark on (the defaults). Every worker is
// told WORKERS_PER_HOST as `flowfarm up` tells it.
//   before: INTRA_OP_THREADS=1 (what onnxruntime's own default gave on the 2-core development
//           machine: one thread per session, counted in /proc), BATCH_MAX=1
//   after:  the defaults (INTRA_OP_THREADS=0 → cores ÷ workers, no spinning; BATCH_MAX=4,
//           no window)
// Both run the current code, so the PNG encoder (bench/pipeline.ts compares it with the old one)
// is the same in both. Throughput = jobs finished between the 10th and 90th percentile finish
// time (server timestamps) ÷ that time, so start-up and the last partial batch do not count.
// Worker CPU per job (all threads, from /proc) is printed too: it does not depend on what else
// the machine runs, the wall-clock figures do. On a busy machine with sched_autogroup (Linux
// desktops and VMs) every session gets a fair share of the CPU, so this bench's workers share
// one slice however many they are: WORKERS=2 cannot add throughput there, and the ratio shows
// only what a second process costs (see docs/worker-performance.md).
//   npx tsx --conditions=development bench/workers.ts   (BENCH_JOBS=200 BENCH_ROUNDS=1)
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { startFarm, type Farm } from '../test/farm/support/farm.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const CLIENTS = 16;

const SETTINGS = {
  before: { INTRA_OP_THREADS: '1', BATCH_MAX: '1' },
  after: { INTRA_OP_THREADS: '0' }, // the farm test support pins 1 thread; '0' is the default
} as const;

interface Run { jobsPerSecond: number; cpuMsPerJob: number }

async function submitAll(farm: Farm): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < JOBS) {
      const seed = next++;
      const res = await farm.call('POST', '/v1/jobs', { body: { prompt: `a red circle number ${seed} on a blue background`, seed, width: 64, height: 64, steps: 4 } });
      const body = (await res.json()) as { id: string };
      if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${JSON.stringify(body)}`);
      ids.push(body.id);
    }
  }));
  return ids;
}

async function measure(workers: number, settings: Record<string, string>): Promise<Run> {
  const farm = await startFarm({
    workers,
    workerEnv: { ...settings, WORKERS_PER_HOST: String(workers), LOG_LEVEL: 'warn' },
    apiEnv: { RATE_LIMIT_PER_MINUTE: '100000000', MAX_ACTIVE_JOBS_PER_TENANT: '1000000' },
  });
  try {
    // warm-up: every worker's first renders pay for lazy initialisation
    await Promise.all(Array.from({ length: 4 * workers }, async (_, i) => {
      const res = await farm.call('POST', '/v1/jobs', { body: { prompt: 'warm-up', seed: i, width: 64, height: 64 }, headers: { Prefer: 'wait=60' } });
      await res.arrayBuffer();
    }));
    const pids = farm.workers.map((w) => w.child.pid!);
    const cpu0 = pids.map(clockTicksMs);
    const ids = await submitAll(farm);
    const finished: number[] = [];
    for (const id of ids) {
      const job = await farm.waitForJob(id, (j) => ['succeeded', 'failed', 'canceled'].includes(j.status), 600_000);
      if (job.status !== 'succeeded') throw new Error(`job ${id} ended ${job.status}: ${JSON.stringify(job.error)}`);
      finished.push(Date.parse(job.finished_at as string));
    }
    const cpu = pids.reduce((sum, pid, i) => sum + clockTicksMs(pid) - cpu0[i], 0);
    finished.sort((a, b) => a - b);
    const lo = Math.floor(0.1 * JOBS), hi = Math.floor(0.9 * JOBS);
    return { jobsPerSecond: ((hi - lo) * 1000) / Math.max(1, finished[hi] - finished[lo]), cpuMsPerJob: cpu / JOBS };
  } finally {
    await farm.close();
  }
}

/** CPU ms of a process: utime + stime are in clock ticks (USER_HZ, 100 on Linux). */
function clockTicksMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

console.log(`machine: ${os.availableParallelism()} cores, load average ${os.loadavg()[0].toFixed(1)} before the run (other work on the machine shows in the wall-clock figures)`);
const autogroup = '/proc/sys/kernel/sched_autogroup_enabled';
if (os.loadavg()[0] > os.availableParallelism() && existsSync(autogroup) && readFileSync(autogroup, 'utf8').trim() === '1') {
  console.log('  the machine is busy and shares its CPU per session (autogroup): WORKERS=2 gets no more CPU than WORKERS=1 here; compare CPU-ms/job');
}
console.log(`workers bench: ${JOBS} jobs of 64x64, 4 steps, submitted at once; real worker processes through the farm`);
const f1 = (x: number) => x.toFixed(1);
for (let round = 0; round < ROUNDS; round++) {
  const results: Record<string, Run[]> = {};
  for (const [name, settings] of Object.entries(SETTINGS)) {
    results[name] = [];
    for (const workers of [1, 2]) results[name].push(await measure(workers, settings));
  }
  for (const [name, [one, two]] of Object.entries(results)) {
    console.log(`  ${name.padEnd(6)} WORKERS=1 ${f1(one.jobsPerSecond)} jobs/s (${f1(one.cpuMsPerJob)} worker CPU-ms/job), WORKERS=2 ${f1(two.jobsPerSecond)} jobs/s (${f1(two.cpuMsPerJob)}) → ${(two.jobsPerSecond / one.jobsPerSecond).toFixed(2)}x  [load ${os.loadavg()[0].toFixed(1)}]`);
  }
  const a = results.after, b = results.before;
  console.log(`  after/before: WORKERS=1 ${(a[0].jobsPerSecond / b[0].jobsPerSecond).toFixed(2)}x, WORKERS=2 ${(a[1].jobsPerSecond / b[1].jobsPerSecond).toFixed(2)}x (target: WORKERS=2 ≥ 1.7x WORKERS=1 with the defaults)`);
}
process.exit(0);
