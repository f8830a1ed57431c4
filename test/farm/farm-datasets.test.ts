// Datasets with real worker processes: a labelled set end to end, byte-identical repeats, and
// a worker SIGKILLed mid-dataset losing and duplicating nothing.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FlowfarmClient } from '@flowfarm/client';
import { KEYS, startFarm, type Farm } from './support/farm.js';
import { Redis } from 'ioredis';
import { startWebhookDeliveryWorker, type WebhookDeliveryWorker } from '@flowfarm/webhooks';
import { startReceiver, waitUntil, type Receiver } from '../webhooks/receiver.js';

vi.setConfig({ testTimeout: 300_000, hookTimeout: 240_000 });

type DatasetBody = {
  id: string; status: string; count: number; counts: { succeeded: number; failed: number; pending: number };
  files: { manifest: string; annotations: string; summary: string } | null;
};

const SPEC = {
  count: 40,
  seed: 7,
  layout: {
    objects: { min: 1, max: 3 },
    labels: [
      { label: 'circle', prompt: 'a large {color} circle on a {bg} background' },
      { label: 'square', prompt: 'a large {color} square on a {bg} background' },
    ],
    background: 'a {bg} background',
    object_variables: ['color'],
  },
  variables: { color: ['red', 'blue', 'yellow'], bg: ['white', 'black'] },
};

let farm: Farm | undefined;
let receiver: Receiver | undefined;
let delivery: { worker: WebhookDeliveryWorker; redis: Redis } | undefined;
afterEach(async () => {
  await delivery?.worker.close();
  delivery?.redis.disconnect();
  await farm?.close();
  await receiver?.stop();
  farm = undefined;
  receiver = undefined;
  delivery = undefined;
});

async function create(f: Farm, spec: unknown): Promise<DatasetBody> {
  const res = await f.call('POST', '/v1/datasets', { body: spec });
  expect(res.status, await res.clone().text()).toBe(202);
  return (await res.json()) as DatasetBody;
}

async function waitForDataset(f: Farm, id: string, until: (d: DatasetBody) => boolean, timeoutMs = 240_000): Promise<DatasetBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = (await (await f.call('GET', `/v1/datasets/${id}`)).json()) as DatasetBody;
    if (until(d)) return d;
    if (Date.now() > deadline) throw new Error(`dataset ${id} still ${d.status}: ${JSON.stringify(d.counts)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const finished = (d: DatasetBody) => ['succeeded', 'failed', 'canceled'].includes(d.status);
const lines = async (url: string) => (await (await fetch(url)).text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { index: number; labels: unknown[] });

describe('datasets', () => {
  it('renders a labelled set: manifest line per image, COCO boxes from the layout, one signed webhook, same spec and seed give the same bytes', async () => {
    receiver = await startReceiver();
    farm = await startFarm({ workers: 1, apiEnv: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    // the farm's in-process API runs without the webhook integration: deliver from here
    const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    delivery = { redis, worker: startWebhookDeliveryWorker({ connection: redis, prefix: farm.prefix, timeoutMs: 2000, retryScale: 0.0002, allowPrivate: true, concurrency: 4 }) };
    const first = await create(farm, { ...SPEC, webhook: { url: `${receiver.url}/datasets` } });
    const done = await waitForDataset(farm, first.id, finished);
    expect(done.status).toBe('succeeded');
    expect(done.counts).toEqual({ succeeded: 40, failed: 0, pending: 0 });

    const manifest = await lines(done.files!.manifest);
    expect(manifest.map((l) => l.index)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(manifest[0]).toMatchObject({ status: 'succeeded', seed: 7, width: 64, height: 64, steps: 4, model: 'tiny-shapes' });
    expect(String(manifest[0].pipeline)).toMatch(/^@flowfarm\/pipeline /);
    const coco = (await (await fetch(done.files!.annotations)).json()) as { images: unknown[]; annotations: Array<{ bbox: number[]; category_id: number }>; categories: Array<{ name: string }> };
    expect(coco.images).toHaveLength(40);
    expect(coco.annotations).toHaveLength(manifest.reduce((n, l) => n + l.labels.length, 0));
    expect(coco.categories.map((c) => c.name)).toEqual(['circle', 'square']);
    expect(coco.annotations.every((a) => a.bbox[2] > 0 && a.category_id >= 1)).toBe(true);
    const summary = (await (await fetch(done.files!.summary)).json()) as { succeeded: number };
    expect(summary.succeeded).toBe(40);

    // metered like jobs: 40 images of 64x64 at 4 steps, the dataset as one job, with GPU time
    const usage = (await (await farm.call('GET', '/v1/usage')).json()) as { totals: { jobs: number; images: number; megapixel_steps: number; gpu_seconds: number }; reserved: { day: { images: number } } };
    expect(usage.totals).toMatchObject({ jobs: 1, images: 40, megapixel_steps: (40 * 64 * 64 * 4) / 1e6 });
    expect(usage.totals.gpu_seconds).toBeGreaterThan(0);
    expect(usage.reserved.day.images).toBe(40);

    await waitUntil(() => receiver!.requests.length >= 1, 'the dataset webhook');
    const hook = JSON.parse(receiver.requests[0].body) as { type: string; data: { id: string; counts: { succeeded: number } } };
    expect(hook).toMatchObject({ type: 'dataset.succeeded', data: { id: first.id, counts: { succeeded: 40 } } });
    expect(receiver.requests[0].headers['webhook-id']).toBe(`wh.${first.id}.dataset.succeeded`);
    expect(receiver.requests[0].headers['webhook-signature']).toMatch(/^v1,/);

    const again = await waitForDataset(farm, (await create(farm, SPEC)).id, finished);
    expect(receiver.requests).toHaveLength(1); // one per dataset, and the second named no webhook

    // canceled: one dataset.canceled webhook (not one per image), the view says canceled with counts
    const doomed = await create(farm, { ...SPEC, count: 400, seed: 8, webhook: { url: `${receiver.url}/datasets` } });
    const cancel = await farm.call('POST', `/v1/datasets/${doomed.id}/cancel`);
    expect(cancel.status).toBe(202);
    await waitUntil(() => receiver!.requests.length >= 2, 'the dataset.canceled webhook');
    const canceledHook = JSON.parse(receiver.requests[1].body) as { type: string; data: DatasetBody };
    expect(canceledHook.type).toBe('dataset.canceled');
    expect(canceledHook.data).toMatchObject({ id: doomed.id, status: 'canceled', count: 400 });
    expect(receiver.requests[1].headers['webhook-id']).toBe(`wh.${doomed.id}.dataset.canceled`);
    await new Promise((r) => setTimeout(r, 2000)); // a chunk still rendering at the cancel ends by itself
    const canceledView = (await (await farm.call('GET', `/v1/datasets/${doomed.id}`)).json()) as DatasetBody;
    expect(canceledView.status).toBe('canceled');
    expect(canceledView.counts.succeeded + canceledView.counts.failed + canceledView.counts.pending).toBe(400);
    expect(canceledView.counts.pending).toBeGreaterThan(400 - 2 * 16); // nothing more started
    expect(receiver.requests).toHaveLength(2);
    // the unrendered items gave their quota reservation back: reserved = rendered images
    const after = (await (await farm.call('GET', '/v1/usage')).json()) as { totals: { images: number }; reserved: { day: { images: number } } };
    expect(after.reserved.day.images).toBe(80 + canceledView.counts.succeeded);
    expect(after.totals.images).toBe(80 + canceledView.counts.succeeded);
    for (const index of [0, 17, 39]) {
      const [a, b] = await Promise.all([first.id, again.id].map(async (id) => Buffer.from(await (await farm!.call('GET', `/v1/datasets/${id}/images/${index}`)).arrayBuffer())));
      expect(a.length).toBeGreaterThan(100);
      expect(a.equals(b)).toBe(true);
    }
  });

  it('loses and duplicates no item when a worker is SIGKILLed mid-dataset', async () => {
    farm = await startFarm({ workers: 2, workerEnv: { LOCK_DURATION_MS: '1500', STALLED_INTERVAL_MS: '750' } });
    const spec = { count: 160, seed: 11, prompt: 'a large {color} circle in the center on a white background', variables: { color: ['red', 'blue', 'green'] }, width: 128, height: 128, steps: 12 };
    const dataset = await create(farm, spec);
    const before = await waitForDataset(farm, dataset.id, (d) => d.counts.succeeded >= 20);
    expect(before.counts.pending).toBeGreaterThan(0);
    // the streaming manifest is readable while it runs: a line per item recorded so far, each once
    const sdk = new FlowfarmClient({ baseUrl: farm.url, apiKey: KEYS.acme });
    const partial = await sdk.datasets.manifestLines(dataset.id);
    expect(partial.length).toBeGreaterThanOrEqual(20);
    expect(partial.length).toBeLessThan(160);
    expect(new Set(partial.map((l) => l.index)).size).toBe(partial.length);
    const victim = farm.workers[0];
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    const done = await waitForDataset(farm, dataset.id, finished);
    expect(done.status).toBe('succeeded');
    expect(done.counts).toEqual({ succeeded: 160, failed: 0, pending: 0 });
    const manifest = await lines(done.files!.manifest);
    expect(manifest.map((l) => l.index)).toEqual(Array.from({ length: 160 }, (_, i) => i));
    const streamed = [...partial, ...(await sdk.datasets.manifestLines(dataset.id, { from: partial.length }))];
    expect(streamed.map((l) => l.index as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 160 }, (_, i) => i));
  });
});
