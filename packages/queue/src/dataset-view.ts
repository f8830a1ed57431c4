import type { DatasetView } from '@flowfarm/contracts';
import { datasetFileKey, datasetImageKey, type DatasetRecord } from './dataset-store.js';

/**
 * The public view of a dataset, shared by the API (GET /v1/datasets/{id}) and the worker (the
 * terminal webhook's payload), so both always describe a dataset the same way.
 * `link` turns a storage key into a URL the client can fetch.
 */
export async function buildDatasetView(
  record: DatasetRecord,
  counts: DatasetView['counts'],
  apiBaseUrl: string,
  link: (key: string) => Promise<string>,
): Promise<DatasetView> {
  const self = `${apiBaseUrl}/v1/datasets/${record.id}`;
  return {
    id: record.id,
    status: record.status,
    name: record.spec.name ?? null,
    model: record.spec.model,
    count: record.spec.count,
    counts,
    spec: record.spec as unknown as Record<string, unknown>,
    files:
      record.status === 'succeeded'
        ? {
          manifest: await link(datasetFileKey(record.tenant, record.id, 'manifest.jsonl')),
          annotations: await link(datasetFileKey(record.tenant, record.id, 'annotations.json')),
          summary: await link(datasetFileKey(record.tenant, record.id, 'summary.json')),
        }
        : null,
    images_prefix: datasetImageKey(record.tenant, record.id, 0).replace(/[^/]+$/, ''),
    error: record.error,
    created_at: new Date(record.createdAt).toISOString(),
    finished_at: record.finishedAt ? new Date(record.finishedAt).toISOString() : null,
    urls: { self, cancel: `${self}/cancel` },
  };
}
