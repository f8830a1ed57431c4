// A dataset's finalize job on the shared Redis (its own key prefix) with real local storage that
// fails its first writes: a finalize BullMQ gave up on is queued again, and once it has failed
// MAX_FINALIZE_REQUEUES + 1 times the dataset ends failed with its one webhook (before, it
// stayed running forever).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import pino from 'pino';
import { Worker, type ConnectionOptions } from 'bullmq';
import type { DatasetNotification, ManifestLine } from '@flowfarm/contracts';
import { DatasetStore, datasetQueueName, farmKeys, type DatasetJobData, type DatasetRecord } from '@flowfarm/queue';
import { createStorage, type ResultStorage } from '@flowfarm/storage';
import { createDatasetProcessor, MAX_FINALIZE_REQUEUES } from './dataset-processor.js';

const prefix = `ff-test-${randomUUID()}`;
const keys = farmKeys(prefix);
const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const dirs: string[] = [];

afterAll(async () => {
  const found = await redis.keys(`${prefix}:*`);
  if (found.length) await redis.del(...found);
  redis.disconnect();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Local storage whose first `failures` writes reject (storage down), then work. */
async function flakyStorage(failures: number): Promise<ResultStorage & { puts: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ff-finalize-'));
  dirs.push(dir);
  const real = createStorage({ driver: 'local', root: dir, signingSecret: 'test-secret', urlTtlSec: 3600 });
  const storage = Object.create(real) as ResultStorage & { puts: number };
  storage.puts = 0;
  storage.put = async (key, data, contentType) => {
    if (storage.puts++ < failures) throw new Error('storage down');
    return real.put(key, data, contentType);
  };
  return storage;
}

async function runFinalize(failures: number) {
  const model = `fin-${randomUUID().slice(0, 6)}`;
  const datasets = new DatasetStore(redis, keys, { finalizeRetry: { attempts: 2, backoffMs: 5, requeueDelayMs: 20 } });
  const record: DatasetRecord = {
    id: `ds-${randomUUID()}`, tenant: 'acme', status: 'queued', createdAt: Date.now(), startedAt: null, finishedAt: null, error: null,
    spec: { count: 2, prompt: 'a red circle', seed: 1, width: 64, height: 64, steps: 4, model },
  };
  expect((await datasets.create(record)).kind).toBe('created');
  for (const index of [0, 1]) {
    const file = `images/00000${index}.png`;
    const line: ManifestLine = {
      index, status: 'succeeded', file, key: `acme/${record.id}/${file}`, prompt: 'a red circle', seed: 1 + index, width: 64, height: 64, steps: 4,
      model, pipeline: null, values: {}, labels: [],
    };
    await datasets.recordItem(record, index, line as unknown as Record<string, unknown>, false, 5);
  }
  const storage = await flakyStorage(failures);
  const sent: DatasetNotification[] = [];
  const { processDatasetJob, finalizeFailed } = createDatasetProcessor({
    datasets, storage, models: new Map(), logger: pino({ level: 'silent' }), apiBaseUrl: 'http://farm.test',
    notifier: { notify: async (event) => void sent.push(event) },
  });
  const worker = new Worker<DatasetJobData>(datasetQueueName(model), processDatasetJob, {
    connection: redis as unknown as ConnectionOptions, prefix: keys.bullPrefix, drainDelay: 1,
  });
  worker.on('failed', (job, err) => void (job && finalizeFailed(job, err)));
  await datasets.advance(record, 0); // every item done: queues the finalize job
  const deadline = Date.now() + 20_000;
  let latest = await datasets.get(record.id);
  while (latest!.status === 'queued' || latest!.status === 'running' || sent.length === 0) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
    latest = await datasets.get(record.id);
  }
  await worker.close();
  await datasets.close();
  return { latest: latest!, sent, puts: storage.puts };
}

describe('dataset finalize', () => {
  it('is queued again after BullMQ gave up on it, and the dataset succeeds once storage is back', async () => {
    // two rounds of two attempts fail, the third round's first attempt stores the files
    const { latest, sent, puts } = await runFinalize(4);
    expect(latest.status).toBe('succeeded');
    expect(sent.map((e) => e.type)).toEqual(['dataset.succeeded']);
    expect(puts).toBe(4 + 3); // manifest, annotations, summary
  });

  it('ends the dataset failed, with its one webhook, when every round fails', async () => {
    const { latest, sent, puts } = await runFinalize(1000);
    expect(latest.status).toBe('failed');
    expect(latest.error).toContain('storage down');
    expect(sent.map((e) => e.type)).toEqual(['dataset.failed']);
    expect(puts).toBe(2 * (MAX_FINALIZE_REQUEUES + 1));
  });
});
