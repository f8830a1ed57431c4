// Numbers for the webhook issue's closing note (not a test; run: npx tsx --conditions=development test/webhooks/measure.ts):
// 1. time from job end (the job's finished_at) to the job.succeeded delivery arriving at a
//    loopback receiver, through a real farm (API with in-process delivery + one worker process);
// 2. a receiver outage with the delivery process SIGKILLed in the middle of it and a new one
//    started: deliveries delivered / lost / duplicated.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHarness, fakeJobView } from './harness.js';
import { startReceiver, waitUntil } from './receiver.js';
import { startWebhookFarm } from './webhook-farm.js';

const JOBS = Number(process.argv[2] ?? 20);
const OUTAGE_DELIVERIES = Number(process.argv[3] ?? 200);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

async function measureLatency(): Promise<Record<string, number>> {
  const receiver = await startReceiver();
  const farm = await startWebhookFarm();
  try {
    farm.spawnWorker();
    await farm.waitForModel();
    const latencies: number[] = [];
    for (let i = 0; i < JOBS; i++) {
      const res = await fetch(`${farm.url}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${farm.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a red circle', width: 64, height: 64, steps: 4, seed: i, webhook: { url: receiver.url } }),
      });
      const { id } = (await res.json()) as { id: string };
      await waitUntil(() => receiver.requests.some((r) => JSON.parse(r.body).data.id === id), `delivery of ${id}`, 60_000);
      const req = receiver.requests.find((r) => JSON.parse(r.body).data.id === id)!;
      latencies.push(req.at - Date.parse(JSON.parse(req.body).data.finished_at));
    }
    latencies.sort((a, b) => a - b);
    return { jobs: JOBS, median_ms: quantile(latencies, 0.5), p90_ms: quantile(latencies, 0.9), min_ms: latencies[0], max_ms: latencies.at(-1)! };
  } finally {
    await receiver.stop();
    await farm.close();
  }
}

const CLI = fileURLToPath(new URL('../../apps/cli/src/main.ts', import.meta.url));
function deliveryProcess(prefix: string): ChildProcess {
  return spawn(process.execPath, ['--conditions=development', '--import', 'tsx', CLI, 'webhooks'], {
    env: { ...process.env, REDIS_PREFIX: prefix, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCALE: '0.0002', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function measureOutage(): Promise<Record<string, number>> {
  const h = await createHarness({ startWorker: false });
  const receiver = await startReceiver();
  try {
    await receiver.stop();
    const first = deliveryProcess(h.prefix);
    const jobs = Array.from({ length: OUTAGE_DELIVERIES }, () => fakeJobView({ url: receiver.url }));
    for (const job of jobs) await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    const outageStart = Date.now();
    await waitUntil(async () => {
      const lists = await Promise.all(jobs.map((j) => h.deliveries.listForJob('acme', j.id)));
      return lists.every((l) => (l[0]?.attempts.length ?? 0) >= 3);
    }, 'three failed attempts each', 120_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const second = deliveryProcess(h.prefix);
    await receiver.start();
    const outageMs = Date.now() - outageStart;
    let lost = 0;
    try {
      await waitUntil(async () => {
        const lists = await Promise.all(jobs.map((j) => h.deliveries.listForJob('acme', j.id)));
        return lists.every((l) => l[0]?.status === 'delivered');
      }, 'all delivered', 120_000);
    } catch {
      lost = -1; // counted below from what the receiver got
    }
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    const received = receiver.requests.map((r) => JSON.parse(r.body).data.id as string);
    const unique = new Set(received);
    lost = jobs.filter((j) => !unique.has(j.id)).length;
    return { deliveries: jobs.length, outage_ms: outageMs, delivered: unique.size, lost, duplicates: received.length - unique.size };
  } finally {
    await receiver.stop().catch(() => undefined);
    await h.close();
  }
}

const latency = await measureLatency();
const outage = await measureOutage();
process.stdout.write(`${JSON.stringify({ latency, outage }, null, 2)}\n`);
process.exit(0);
