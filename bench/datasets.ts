// Dataset benchmarks (real Redis, one worker process, local storage, own key prefix):
//  1. batching: the same N images (64x64, 4 steps, one prompt template, seeds s..s+N-1) as N
//     separate jobs (BENCH_CLIENTS clients submitting with `Prefer: wait`) and then as one
//     dataset, on the same farm in the same run; prints both wall times and their ratio.
//     BENCH_LAYOUT=1: labelled layouts instead (2-3 boxes an image, the model's default layout
//     mode), the jobs carrying each dataset item's own prompt and layout.
//  2. acceptance: time for POST /v1/datasets to accept a 100,000-item spec (median of 5).
// Run: npx tsx --conditions=development bench/datasets.ts   (BENCH_ITEMS=2000 BENCH_CLIENTS=16 BENCH_WORKER_ENV='{"BATCH_MAX":"8"}' BENCH_LAYOUT=1)
import { cpus, loadavg } from 'node:os';
import { DatasetSpec, datasetItem } from '@flowfarm/contracts';
import { startFarm } from '../test/farm/support/farm.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 2000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const WORKER_ENV = JSON.parse(process.env.BENCH_WORKER_ENV ?? '{}') as Record<string, string>;
const COLORS = ['red', 'green', 'blue', 'yellow'];
const TEMPLATE = 'a large {color} circle in the center on a white background';
const LAYOUT = process.env.BENCH_LAYOUT === '1';
/** The spec both paths render: a prompt template, or labelled layouts of 2-3 objects. */
const specOf = (count: number, seed: number) =>
  LAYOUT
    ? {
        count, seed, variables: { color: COLORS, bg: ['white', 'black'] },
        layout: {
          objects: { min: 2, max: 3 }, background: 'a {bg} background', object_variables: ['color'],
          labels: [{ label: 'circle', prompt: 'a {color} circle' }, { label: 'square', prompt: 'a {color} square' }, { label: 'triangle', prompt: 'a {color} triangle' }],
        },
      }
    : { count, seed, prompt: TEMPLATE, variables: { color: COLORS } };

console.log(`machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)} (other work on the machine shows in these numbers)`);
const farm = await startFarm({
  workers: 1,
  apiEnv: { MAX_ACTIVE_JOBS_PER_TENANT: '1000000', RATE_LIMIT_PER_MINUTE: '100000000' },
  workerEnv: { LOG_LEVEL: 'warn', ...WORKER_ENV },
});
try {
  type Dataset = { id: string; status: string; counts: { succeeded: number } };
  const createDataset = async (spec: unknown) => {
    const res = await farm.call('POST', '/v1/datasets', { body: spec });
    if (res.status !== 202) throw new Error(`dataset create answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Dataset;
  };
  const waitDataset = async (id: string) => {
    for (;;) {
      const d = (await (await farm.call('GET', `/v1/datasets/${id}`)).json()) as Dataset;
      if (['succeeded', 'failed', 'canceled'].includes(d.status)) return d;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  // warm-up: both paths once, small
  await waitDataset((await createDataset(specOf(16, 1))).id);

  // 1a. separate jobs: the dataset's own items, submitted by CLIENTS clients that each wait
  const filled = { ...DatasetSpec.parse(specOf(ITEMS, 1000)), seed: 1000, width: 64, height: 64 };
  const items = Array.from({ length: ITEMS }, (_, i) => datasetItem(filled, i));
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    for (let i = next++; i < ITEMS; i = next++) {
      const { prompt, seed, layout } = items[i];
      const res = await farm.call('POST', '/v1/jobs', { body: { prompt, seed, ...(layout ? { layout } : {}) }, headers: { Prefer: 'wait=120' } });
      const job = (await res.json()) as { id: string; status: string };
      if (job.status !== 'succeeded') await farm.waitForJob(job.id, (j) => j.status === 'succeeded' || j.status === 'failed');
    }
  }));
  const jobsSeconds = (performance.now() - t0) / 1000;

  // 1b. one dataset of the same size
  const t1 = performance.now();
  const d = await waitDataset((await createDataset(specOf(ITEMS, 1000))).id);
  const datasetSeconds = (performance.now() - t1) / 1000;
  if (d.status !== 'succeeded' || d.counts.succeeded !== ITEMS) throw new Error(`dataset ended ${d.status} with ${d.counts.succeeded}`);

  console.log(`batching, ${ITEMS} ${LAYOUT ? 'labelled layouts (2-3 objects)' : 'images'} 64x64, 4 steps, 1 worker${Object.keys(WORKER_ENV).length ? ` (${JSON.stringify(WORKER_ENV)})` : ' (default BATCH_MAX)'}:`);
  console.log(`  ${ITEMS} separate jobs (${CLIENTS} clients, Prefer: wait)  ${jobsSeconds.toFixed(1)} s  (${(ITEMS / jobsSeconds).toFixed(1)} images/s)`);
  console.log(`  one dataset of ${ITEMS} items                     ${datasetSeconds.toFixed(1)} s  (${(ITEMS / datasetSeconds).toFixed(1)} images/s)`);
  console.log(`  ratio jobs/dataset ${(jobsSeconds / datasetSeconds).toFixed(2)}x`);

  // 2. acceptance of a 100,000-item spec
  const accept: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const big = await createDataset({ count: 100_000, seed: i, prompt: TEMPLATE, variables: { color: COLORS } });
    accept.push(performance.now() - t);
    await farm.call('POST', `/v1/datasets/${big.id}/cancel`);
  }
  accept.sort((a, b) => a - b);
  console.log(`acceptance of a 100,000-item spec: median ${accept[2].toFixed(0)} ms, max ${accept[4].toFixed(0)} ms (5 creates)`);
} finally {
  await farm.close();
}
process.exit(0);
