import { DelayedError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { assembleDatasetFiles, datasetItem, pixelBox, type DatasetNotifier, type ManifestLine } from '@flowfarm/contracts';
import { DATASET_CHUNK, DatasetStore, buildDatasetView, datasetFileKey, datasetImageKey, type DatasetJobData, type DatasetRecord } from '@flowfarm/queue';
import { countTenantUsage } from '@flowfarm/metrics';
import type { ResultStorage } from '@flowfarm/storage';
import { pngPipelineVersion } from './png-pipeline-version.js';
import type { Renderer } from './model-thread.js';

export interface DatasetProcessorDeps {
  datasets: DatasetStore;
  storage: ResultStorage;
  /** the loaded models: a chunk's items go to generateBatch directly, whatever BATCH_MAX says */
  models: Map<string, Renderer>;
  logger: Logger;
  notifier: DatasetNotifier;
  /** Base of API links in webhook payloads. */
  apiBaseUrl: string;
}

/** Items per pipeline batch: a dataset always batches (its items are known in advance). */
export const DATASET_BATCH = 8;
/** Chunks of one model a worker holds: one rendering, one waiting to start when it ends. */
export const HELD_CHUNKS = 2;
/** A chunk taken beyond HELD_CHUNKS goes back to the queue for this long. */
export const CHUNK_PUT_BACK_MS = 500;
/**
 * Times a chunk BullMQ gave up on (its workers kept dying: stalled more than MAX_STALLED_COUNT,
 * or attempts spent) is queued again before its unfinished items are recorded as failed.
 */
export const MAX_CHUNK_REQUEUES = 10;
/**
 * Times a finalize job BullMQ gave up on is queued again (after a pause) before the dataset is
 * marked failed: without this a dataset whose files could not be assembled (storage down for
 * longer than the job's retries) would never end.
 */
export const MAX_FINALIZE_REQUEUES = 3;

const isPermanent = (err: unknown) => err instanceof Error && err.name === 'PipelineInputError';
const active = (r: DatasetRecord) => r.status === 'queued' || r.status === 'running';

/**
 * Runs dataset jobs. A chunk renders its items that are not done yet in pipeline batches of
 * DATASET_BATCH, stores each image under a key derived
 * from the item index and records the item's manifest line; then it queues the next chunk.
 * Re-running a chunk after a crash re-renders only unfinished items, to the same keys and
 * records: nothing is lost or duplicated. The finalize job assembles the set's files.
 */
export function createDatasetProcessor(deps: DatasetProcessorDeps) {
  const { datasets, storage } = deps;

  function itemOf(record: DatasetRecord, index: number) {
    const { spec } = record;
    const item = datasetItem(spec, index);
    const base = {
      index, prompt: item.prompt, seed: item.seed, width: spec.width, height: spec.height, steps: spec.steps,
      ...(spec.guidance === undefined ? {} : { guidance: spec.guidance }),
      model: spec.model, values: item.values, ...(item.layout ? { layout: item.layout } : {}),
      labels: (item.layout?.objects ?? []).map((o) => ({ label: o.label ?? o.prompt, bbox: pixelBox(o.box, spec.width, spec.height) })),
    };
    const request = {
      prompt: item.prompt, width: spec.width, height: spec.height, steps: spec.steps, guidance: spec.guidance, seed: item.seed, numImages: 1,
      outputFormat: 'png' as const, ...(item.layout ? { layout: item.layout } : {}),
    };
    return { base, request };
  }

  /** Renders items as one pipeline batch; stores each image and its manifest line. */
  async function renderItems(record: DatasetRecord, indices: number[]): Promise<void> {
    const { tenant, id } = record;
    const model = deps.models.get(record.spec.model);
    if (!model) throw new Error(`this worker does not serve ${record.spec.model}`);
    const items = indices.map((index) => itemOf(record, index));
    let results;
    const started = performance.now();
    try {
      results = await model.generateBatch(items.map((it) => it.request));
    } catch (err) {
      if (!isPermanent(err)) throw err; // the chunk is retried
      // One bad item fails the batch: render one at a time to fail only the bad ones.
      if (indices.length > 1) {
        for (const index of indices) await renderItems(record, [index]);
        return;
      }
      const line: ManifestLine = { ...items[0].base, status: 'failed', file: null, key: null, pipeline: null, error: (err as Error).message };
      await datasets.recordItem(record, indices[0], line as unknown as Record<string, unknown>, true);
      return;
    }
    // GPU time for usage: the pipeline's own time for the batch, shared evenly among its items
    const gpuMs = (results[0]?.timings.totalMs ?? performance.now() - started) / results.length;
    await Promise.all(results.map(async (result, k) => {
      const image = result.images[0];
      const key = datasetImageKey(tenant, id, indices[k]);
      await storage.put(key, image.data, image.contentType);
      const line: ManifestLine = { ...items[k].base, status: 'succeeded', file: key.slice(`${tenant}/${id}/`.length), key, pipeline: pngPipelineVersion(image.data) };
      // metered once (a re-run item records nothing new): the per-tenant Prometheus counters too
      if (await datasets.recordItem(record, indices[k], line as unknown as Record<string, unknown>, false, gpuMs)) {
        countTenantUsage(tenant, { images: 1, megapixelSteps: DatasetStore.itemCost(record.spec).mps, renderSeconds: gpuMs / 1000 });
      }
    }));
  }

  async function runChunk(record: DatasetRecord, chunk: number, log: Logger): Promise<void> {
    await datasets.markRunning(record.id);
    const first = chunk * DATASET_CHUNK;
    const indices = Array.from({ length: Math.min(DATASET_CHUNK, record.spec.count - first) }, (_, i) => first + i);
    const todo: number[] = [];
    for (const index of indices) if (!(await datasets.isDone(record.id, index))) todo.push(index);
    for (let k = 0; k < todo.length; k += DATASET_BATCH) {
      // canceled meanwhile: render no more of it
      if (k > 0 && !active((await datasets.get(record.id)) ?? { ...record, status: 'canceled' })) return;
      await renderItems(record, todo.slice(k, k + DATASET_BATCH));
    }
    const latest = await datasets.get(record.id);
    if (!latest || !active(latest)) return; // canceled meanwhile: queue nothing more
    await datasets.advance(latest, chunk);
    log.debug({ chunk, rendered: todo.length }, 'dataset chunk done');
  }

  async function finalize(record: DatasetRecord, log: Logger): Promise<void> {
    const files = await assembleDatasetFiles(record, datasets.itemRecords(record.id, record.spec.count));
    const finishedAt = Date.now();
    const summary = {
      id: record.id, name: record.spec.name ?? null, model: record.spec.model, count: record.spec.count,
      succeeded: files.succeeded, failed: files.failed,
      created_at: new Date(record.createdAt).toISOString(),
      started_at: record.startedAt ? new Date(record.startedAt).toISOString() : null,
      finished_at: new Date(finishedAt).toISOString(),
      render_seconds: record.startedAt ? (finishedAt - record.startedAt) / 1000 : null,
      images_per_second: record.startedAt ? files.succeeded / Math.max(0.001, (finishedAt - record.startedAt) / 1000) : null,
      spec: record.spec,
    };
    await storage.put(datasetFileKey(record.tenant, record.id, 'manifest.jsonl'), Buffer.from(files.manifest), 'application/x-ndjson');
    await storage.put(datasetFileKey(record.tenant, record.id, 'annotations.json'), Buffer.from(files.annotations), 'application/json');
    await storage.put(datasetFileKey(record.tenant, record.id, 'summary.json'), Buffer.from(JSON.stringify(summary, null, 2)), 'application/json');
    const status = files.succeeded === 0 ? 'failed' : 'succeeded';
    if (await datasets.finish(record, status, status === 'failed' ? 'every item failed' : undefined)) {
      log.info({ succeeded: files.succeeded, failed: files.failed }, `dataset ${status}`);
    }
    await notifyFinished(record.id, log);
  }

  /** The one terminal webhook (its delivery id is per dataset and event, so a re-run sends nothing new). */
  async function notifyFinished(id: string, log: Logger): Promise<void> {
    const record = await datasets.get(id);
    if (!record || record.status === 'queued' || record.status === 'running') return;
    const status = record.status;
    try {
      const link = async (key: string) => {
        const url = await storage.url(key);
        return url.startsWith('/') ? `${deps.apiBaseUrl}${url}` : url;
      };
      const dataset = await buildDatasetView(record, await datasets.counts(record.id, record.spec.count), deps.apiBaseUrl, link);
      await deps.notifier.notify({ type: `dataset.${status}`, tenant: record.tenant, dataset, ...(record.spec.webhook ? { url: record.spec.webhook.url } : {}) });
    } catch (err) {
      log.error({ err }, 'dataset notifier failed');
      throw err; // the finalize job is retried; the delivery id keeps it to one webhook
    }
  }

  async function processDatasetJob(job: Job<DatasetJobData>): Promise<void> {
    const data = job.data;
    const record = await datasets.get(data.datasetId);
    if (!record) return;
    const log = deps.logger.child({ datasetId: record.id, model: record.spec.model });
    // A finalize re-run after a crash between finishing and notifying, or queued by a cancel:
    // notify (deduplicated per dataset and event).
    if (data.kind === 'finalize' && !active(record)) return notifyFinished(record.id, log);
    if (!active(record)) return;
    if (data.kind === 'chunk') await runChunk(record, data.chunk, log);
    else await finalize(record, log);
  }

  /**
   * A chunk taken from the model's render queue (where chunks wait in fair-share order with the
   * farm's jobs). A worker renders one chunk per model at a time and holds one more, which starts
   * the moment the first ends (no gap on the model); a chunk it takes beyond those goes back to
   * the queue for a moment with its priority (its place in line), so an idle worker can take it.
   */
  const held = new Map<string, { holders: number; tail: Promise<void> }>();
  async function processChunkJob(job: Job<DatasetJobData>, token?: string): Promise<void> {
    const data = job.data;
    if (data.kind !== 'chunk') return processDatasetJob(job);
    const record = await datasets.get(data.datasetId);
    if (!record || !active(record)) return;
    const model = record.spec.model;
    let slot = held.get(model);
    if (!slot) held.set(model, (slot = { holders: 0, tail: Promise.resolve() }));
    if (slot.holders >= HELD_CHUNKS) {
      await job.moveToDelayed(Date.now() + CHUNK_PUT_BACK_MS, token);
      throw new DelayedError();
    }
    slot.holders++;
    const previous = slot.tail;
    let release!: () => void;
    slot.tail = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      const latest = await datasets.get(record.id); // canceled while it waited: nothing to render
      if (latest && active(latest)) await runChunk(latest, data.chunk, deps.logger.child({ datasetId: record.id, model }));
    } finally {
      slot.holders--;
      release();
    }
  }

  /** The dataset of a job BullMQ gave up on; null while a retry is on its way or once the dataset is gone. */
  async function givenUpDataset(job: Job<DatasetJobData>) {
    const state = await job.getState();
    if (state !== 'failed' && state !== 'unknown') return null;
    return datasets.get(job.data.datasetId);
  }

  /**
   * A chunk job failed. BullMQ fails a chunk for good when its workers kept dying (stalled more
   * than MAX_STALLED_COUNT) or its attempts are spent; then nothing would render its items and
   * the dataset would never finish. It is queued again (a new job, same id), up to
   * MAX_CHUNK_REQUEUES times; after that its unfinished items are recorded as failed, so the
   * dataset still ends and says which items are missing.
   */
  async function chunkFailed(job: Job<DatasetJobData>, err: Error): Promise<void> {
    const data = job.data;
    if (data.kind !== 'chunk') return;
    const record = await givenUpDataset(job);
    if (!record || !active(record)) return;
    const log = deps.logger.child({ datasetId: record.id, chunk: data.chunk });
    const requeues = await datasets.countRequeue(record.id, data.chunk);
    if (requeues <= MAX_CHUNK_REQUEUES) {
      await datasets.queueChunk(record, data.chunk);
      log.warn({ err: err.message, requeues }, 'dataset chunk given up by BullMQ; queued again');
      return;
    }
    const first = data.chunk * DATASET_CHUNK;
    for (let index = first; index < Math.min(first + DATASET_CHUNK, record.spec.count); index++) {
      if (await datasets.isDone(record.id, index)) continue;
      const line: ManifestLine = { ...itemOf(record, index).base, status: 'failed', file: null, key: null, pipeline: null, error: `not rendered: ${err.message} (${MAX_CHUNK_REQUEUES} times)` };
      await datasets.recordItem(record, index, line as unknown as Record<string, unknown>, true);
    }
    await datasets.advance(record, data.chunk);
    log.error({ err: err.message }, 'dataset chunk failed for good; its unfinished items are recorded as failed');
  }

  /**
   * A dataset-queue job failed. Once BullMQ gave up on a finalize job (its attempts spent, or its
   * workers kept dying) it is queued again after a pause, up to MAX_FINALIZE_REQUEUES times;
   * after that an unfinished dataset is marked failed (its items stay recorded) and its one
   * terminal webhook is sent, so the dataset ends.
   */
  async function finalizeFailed(job: Job<DatasetJobData>, err: Error): Promise<void> {
    const data = job.data;
    if (data.kind !== 'finalize') return;
    const record = await givenUpDataset(job);
    if (!record) return; // a retry is on its way, or the dataset was removed (retention)
    const log = deps.logger.child({ datasetId: record.id, model: record.spec.model });
    const requeues = await datasets.countRequeue(record.id, 'final');
    if (requeues <= MAX_FINALIZE_REQUEUES) {
      await datasets.requeueFinalize(record);
      log.warn({ err: err.message, requeues }, 'dataset finalize given up by BullMQ; queued again');
      return;
    }
    if (active(record) && (await datasets.finish(record, 'failed', `its files could not be assembled: ${err.message}`))) {
      log.error({ err: err.message }, `dataset failed: finalize failed ${MAX_FINALIZE_REQUEUES + 1} times`);
    }
    await notifyFinished(record.id, log).catch(() => {}); // logged there; the dataset has ended either way
  }

  return { processDatasetJob, processChunkJob, chunkFailed, finalizeFailed };
}
