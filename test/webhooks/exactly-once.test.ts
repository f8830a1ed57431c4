// Exactly one job.succeeded delivery per job, even when the event is reported again by another
// process (a job re-run after its worker died after reporting it) or by two at once.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, fakeJobView, type Harness } from './harness.js';
import { startReceiver, waitUntil, type Receiver } from './receiver.js';

const NOTIFY_ONCE = fileURLToPath(new URL('./notify-once.ts', import.meta.url));

function notifyFromProcess(prefix: string, tenant: string, event: string, job: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', NOTIFY_ONCE, prefix, tenant, event, JSON.stringify(job)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`notify-once exited ${code}: ${stderr}`))));
  });
}

let harness: Harness | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await receiver?.stop();
  await harness?.close();
});

async function pendingDeliveries(h: Harness): Promise<number> {
  const counts = await h.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('exactly one terminal delivery per job', () => {
  it('two processes reporting job.succeeded at once, then a third after delivery → one delivery', async () => {
    harness = await createHarness();
    const h = harness;
    receiver = await startReceiver();
    const job = fakeJobView({ url: receiver.url });
    await Promise.all([
      notifyFromProcess(h.prefix, 'acme', 'job.succeeded', job),
      notifyFromProcess(h.prefix, 'acme', 'job.succeeded', job),
    ]);
    await waitUntil(async () => (await h.deliveries.listForJob('acme', job.id))[0]?.status === 'delivered', 'delivered');
    // The "re-run" reports the same event again after the delivery finished.
    await notifyFromProcess(h.prefix, 'acme', 'job.succeeded', job);
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    expect(await pendingDeliveries(h)).toBe(0);
    expect(await h.deliveries.listForJob('acme', job.id)).toHaveLength(1);
    expect(receiver.requests).toHaveLength(1);
  });

  it('a second, different terminal event for the same job is not delivered', async () => {
    harness = await createHarness();
    const h = harness;
    receiver = await startReceiver();
    const job = fakeJobView({ url: receiver.url });
    await h.notifier.notify({ type: 'job.succeeded', tenant: 'acme', job });
    const failed = { ...job, status: 'failed' };
    await h.notifier.notify({ type: 'job.failed', tenant: 'acme', job: failed });
    await waitUntil(async () => (await h.deliveries.listForJob('acme', job.id))[0]?.status === 'delivered', 'delivered');
    expect(await pendingDeliveries(h)).toBe(0);
    expect(receiver.requests.map((r) => JSON.parse(r.body).type)).toEqual(['job.succeeded']);
  });

  it('throttles progress deliveries to at most 2 per second per job', async () => {
    harness = await createHarness();
    const h = harness;
    receiver = await startReceiver();
    const job = fakeJobView({ url: receiver.url, events: ['job.progress'] });
    const started = Date.now();
    for (let step = 1; step <= 40; step++) {
      await h.notifier.notify({ type: 'job.progress', tenant: 'acme', job: { ...job, progress: { step, total: 40 } } });
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = Date.now() - started;
    await waitUntil(async () => (await pendingDeliveries(h)) === 0, 'progress deliveries sent');
    const sent = receiver.requests.length;
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sent).toBeLessThanOrEqual(Math.ceil(elapsed / 500) + 1);
    expect(sent).toBeLessThan(40);
  });
});
