import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { datasetItem } from '@flowfarm/contracts';
import { DATASET_CHUNK, datasetFileKey, datasetImageKey, type DatasetJobData, type DatasetRecord, type DatasetStore } from '@flowfarm/queue';
import type { ResultStorage } from '@flowfarm/storage';
import { assembleDatasetFiles, pixelBox, pngPipelineVersion, type ManifestLine } from './dataset-files.js';
import type { RenderBatcher } from './render-batcher.js';

export interface DatasetProcessorDeps {
  datasets: DatasetStore;
  storage: ResultStorage;
  renderers: Map<string, RenderBatcher>;
  logger: Logger;
}

const isPermanent = (err: unknown) => err instanceof Error && err.name === 'PipelineInputError';
const active = (r: DatasetRecord) => r.status === 'queued' || r.status === 'running';

/**
 * Runs dataset jobs. A chunk renders its items that are not done yet (all at once, so the
 * render batcher groups them into pipeline batches), stores each image under a key derived
 * from the item index and records the item's manifest line; then it queues the next chunk.
 * Re-running a chunk after a crash re-renders only unfinished items, to the same keys and
 * records: nothing is lost or duplicated. The finalize job assembles the set's files.
 */
export function createDatasetProcessor(deps: DatasetProcessorDeps) {
  const { datasets, storage } = deps;

  async function renderItem(record: DatasetRecord, index: number): Promise<void> {
    const { spec, tenant, id } = record;
    const item = datasetItem(spec, index);
    const base = {
      index, prompt: item.prompt, seed: item.seed, width: spec.width, height: spec.height, steps: spec.steps,
      ...(spec.guidance === undefined ? {} : { guidance: spec.guidance }),
      model: spec.model, values: item.values, ...(item.layout ? { layout: item.layout } : {}),
      labels: (item.layout?.objects ?? []).map((o) => ({ label: o.label ?? o.prompt, bbox: pixelBox(o.box, spec.width, spec.height) })),
    };
    const renderer = deps.renderers.get(spec.model);
    if (!renderer) throw new Error(`this worker does not serve ${spec.model}`);
    try {
      const result = await renderer.render({
        prompt: item.prompt, width: spec.width, height: spec.height, steps: spec.steps, guidance: spec.guidance, seed: item.seed, numImages: 1,
        outputFormat: 'png', ...(item.layout ? { layout: item.layout } : {}),
      });
      const image = result.images[0];
      const key = datasetImageKey(tenant, id, index);
      await storage.put(key, image.data, image.contentType);
      const line: ManifestLine = { ...base, status: 'succeeded', file: key.slice(`${tenant}/${id}/`.length), key, pipeline: pngPipelineVersion(image.data) };
      await datasets.recordItem(id, index, line as unknown as Record<string, unknown>, false);
    } catch (err) {
      if (!isPermanent(err)) throw err; // storage or Redis trouble: the chunk is retried
      const line: ManifestLine = { ...base, status: 'failed', file: null, key: null, pipeline: null, error: (err as Error).message };
      await datasets.recordItem(id, index, line as unknown as Record<string, unknown>, true);
    }
  }

  async function runChunk(record: DatasetRecord, chunk: number, log: Logger): Promise<void> {
    await datasets.markRunning(record.id);
    const first = chunk * DATASET_CHUNK;
    const indices = Array.from({ length: Math.min(DATASET_CHUNK, record.spec.count - first) }, (_, i) => first + i);
    const todo: number[] = [];
    for (const index of indices) if (!(await datasets.isDone(record.id, index))) todo.push(index);
    const outcomes = await Promise.allSettled(todo.map((index) => renderItem(record, index)));
    const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failure) throw failure.reason;
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
    if (await datasets.finish(record.id, status, status === 'failed' ? 'every item failed' : undefined)) {
      log.info({ succeeded: files.succeeded, failed: files.failed }, `dataset ${status}`);
    }
  }

  async function processDatasetJob(job: Job<DatasetJobData>): Promise<void> {
    const data = job.data;
    const record = await datasets.get(data.datasetId);
    if (!record || !active(record)) return;
    const log = deps.logger.child({ datasetId: record.id, model: record.spec.model });
    if (data.kind === 'chunk') await runChunk(record, data.chunk, log);
    else await finalize(record, log);
  }

  return { processDatasetJob };
}
