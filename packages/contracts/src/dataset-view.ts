import { z } from 'zod';

export const DatasetStatus = z.enum(['queued', 'running', 'succeeded', 'failed', 'canceled']);
export type DatasetStatus = z.infer<typeof DatasetStatus>;

/** `GET /v1/datasets/{id}`: progress, counts and (when finished) links to the set's files. */
export const DatasetView = z.object({
  id: z.string(),
  status: DatasetStatus,
  name: z.string().nullable(),
  model: z.string(),
  count: z.number().int(),
  counts: z.object({ succeeded: z.number().int(), failed: z.number().int(), pending: z.number().int() }),
  /** the spec with every default filled in (seed, size, steps, model) */
  spec: z.record(z.string(), z.unknown()),
  files: z
    .object({
      manifest: z.string().describe('manifest.jsonl: one line per image'),
      annotations: z.string().describe('annotations.json in COCO format'),
      summary: z.string().describe('summary.json: counts and timings'),
    })
    .nullable()
    .describe('signed URLs, once the dataset has succeeded'),
  /** storage key prefix of the images (`<prefix><index>.png`) */
  images_prefix: z.string(),
  error: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  urls: z.object({ self: z.string(), cancel: z.string() }),
});
export type DatasetView = z.infer<typeof DatasetView>;

export const DatasetList = z.object({ data: z.array(DatasetView) });
export type DatasetList = z.infer<typeof DatasetList>;

/** Webhook events of a dataset: exactly one of them per dataset, when it ends (succeeded, failed or canceled). */
export const DatasetEventType = z.enum(['dataset.succeeded', 'dataset.failed', 'dataset.canceled']);
export type DatasetEventType = z.infer<typeof DatasetEventType>;

export interface DatasetNotification {
  type: DatasetEventType;
  tenant: string;
  /** the dataset as `GET /v1/datasets/{id}` shows it (sent as the payload's `data`) */
  dataset: DatasetView;
  /** the spec's webhook URL, if it named one (else the tenant's default endpoint) */
  url?: string;
}

/** What the worker calls when a dataset finishes; the webhooks package implements it. */
export interface DatasetNotifier {
  notify(event: DatasetNotification): Promise<void>;
}

export const noopDatasetNotifier: DatasetNotifier = { notify: async () => {} };
