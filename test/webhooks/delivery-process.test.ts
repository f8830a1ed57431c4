// `flowfarm webhooks` as a real process: it delivers, survives SIGKILL mid-outage (another
// process picks the deliveries up, none is lost or doubled) and drains on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, fakeJobView, type Harness } from './harness.js';
import { startReceiver, waitUntil, type Receiver } from './receiver.js';
import { freePort } from '../support/free-port.js';

const CLI = fileURLToPath(new URL('../../apps/cli/src/main.ts', import.meta.url));

function startDeliveryProcess(prefix: string, metricsPort = 0): ChildProcess {
  return spawn(process.execPath, ['--conditions=development', '--import', 'tsx', CLI, 'webhooks'], {
    env: {
      ...process.env,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: prefix,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_RETRY_SCALE: '0.0002',
      WEBHOOK_TIMEOUT_MS: '2000',
      LOG_LEVEL: 'warn',
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}


const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });

let harness: Harness | undefined;
let receiver: Receiver | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
  }
  await receiver?.stop().catch(() => undefined);
  await harness?.close();
});

describe('flowfarm webhooks (delivery process)', () => {
  it('loses and doubles nothing when killed during a receiver outage', async () => {
    harness = await createHarness({ startWorker: false });
    const h = harness;
    receiver = await startReceiver();
    await receiver.stop();
    const first = startDeliveryProcess(h.prefix);
    children.push(first);
    const jobs = Array.from({ length: 20 }, () => fakeJobView({ url: receiver!.url }));
    for (const job of jobs) await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    const attempts = async () => (await Promise.all(jobs.map((j) => h.deliveries.listForJob('acme', j.id)))).map((l) => l[0]?.attempts.length ?? 0);
    await waitUntil(async () => (await attempts()).every((n) => n >= 2), 'two failed attempts each');

    first.kill('SIGKILL');
    await exited(first);
    await receiver.start();
    const second = startDeliveryProcess(h.prefix);
    children.push(second);
    await waitUntil(async () => {
      const all = await Promise.all(jobs.map((j) => h.deliveries.listForJob('acme', j.id)));
      return all.every((l) => l[0]?.status === 'delivered');
      // An attempt in flight at the kill is retried once its lock (5 s here) expires.
    }, 'every delivery delivered by the second process', 60_000);

    const delivered = receiver.requests.map((r) => JSON.parse(r.body).data.id as string);
    expect(new Set(delivered)).toEqual(new Set(jobs.map((j) => j.id)));
    expect(delivered).toHaveLength(jobs.length);
  }, 90_000);

  it('reports its deliveries on /metrics, is ready on /readyz, and exits 143 after draining on SIGTERM', async () => {
    harness = await createHarness({ startWorker: false });
    const h = harness;
    receiver = await startReceiver();
    const port = await freePort();
    const child = startDeliveryProcess(h.prefix, port);
    children.push(child);
    const job = fakeJobView({ url: receiver.url });
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    await waitUntil(() => receiver!.requests.length === 1, 'delivered by the process');

    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    let metrics = '';
    await waitUntil(async () => {
      metrics = await (await fetch(`${base}/metrics`)).text();
      return /^flowfarm_webhook_deliveries_total\{event="job\.succeeded",outcome="success"\} 1$/m.test(metrics);
    }, 'one successful delivery counted');
    expect(metrics).toMatch(/^flowfarm_webhook_delivery_seconds_count 1$/m);

    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 143, signal: null });
  });
});
