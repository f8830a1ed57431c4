// A finished dataset's files: manifest.jsonl (one line per item) and annotations.json (COCO,
// with pixel boxes from the layout). Written by the worker that finalizes a dataset, and
// assembled the same way by `npm run eval:labels` to check the labels against the images.
import type { DatasetSpec } from './dataset-spec.js';

/** What assembling the files reads of a dataset record (@flowfarm/queue's DatasetRecord has it). */
export interface DatasetFilesSource {
  id: string;
  createdAt: number;
  spec: Pick<DatasetSpec, 'name' | 'layout'>;
}

/** One manifest line as stored per item (also the source of the COCO annotations). */
export interface ManifestLine {
  index: number;
  status: 'succeeded' | 'failed';
  /** path inside the dataset folder */
  file: string | null;
  key: string | null;
  prompt: string;
  seed: number;
  width: number;
  height: number;
  steps: number;
  guidance?: number;
  model: string;
  pipeline: string | null;
  values: Record<string, string>;
  layout?: { background?: string; objects: { box: number[]; prompt: string; label?: string }[] };
  /** labelled boxes in pixels, [x, y, width, height] (COCO order) */
  labels: { label: string; bbox: [number, number, number, number] }[];
  error?: string;
}

/** COCO category ids: the spec's label names in first-seen order, from 1. */
export function cocoCategories(record: DatasetFilesSource): { id: number; name: string }[] {
  const names = [...new Set((record.spec.layout?.labels ?? []).map((l) => l.label))];
  return names.map((name, i) => ({ id: i + 1, name }));
}

/**
 * Builds manifest.jsonl and annotations.json (COCO: images, categories, annotations with
 * pixel bboxes from the layout) from item records in index order.
 */
export async function assembleDatasetFiles(record: DatasetFilesSource, lines: AsyncIterable<Record<string, unknown>>) {
  const categories = cocoCategories(record);
  const categoryId = new Map(categories.map((c) => [c.name, c.id]));
  const manifest: string[] = [];
  const images: unknown[] = [];
  const annotations: unknown[] = [];
  let succeeded = 0, failed = 0;
  for await (const raw of lines) {
    const line = raw as unknown as ManifestLine;
    manifest.push(JSON.stringify(line));
    if (line.status !== 'succeeded') {
      failed++;
      continue;
    }
    succeeded++;
    const imageId = line.index + 1;
    images.push({ id: imageId, file_name: line.file, width: line.width, height: line.height });
    for (const l of line.labels) {
      const [, , w, h] = l.bbox;
      annotations.push({ id: annotations.length + 1, image_id: imageId, category_id: categoryId.get(l.label) ?? 0, bbox: l.bbox, area: w * h, iscrowd: 0 });
    }
  }
  const coco = {
    info: { description: record.spec.name ?? record.id, version: '1.0', year: new Date(record.createdAt).getUTCFullYear(), date_created: new Date(record.createdAt).toISOString() },
    images,
    annotations,
    categories: categories.map((c) => ({ ...c, supercategory: 'object' })),
  };
  return { manifest: `${manifest.join('\n')}\n`, annotations: JSON.stringify(coco), succeeded, failed };
}

/** Pixel [x, y, w, h] of a fractional box. */
export function pixelBox(box: number[], width: number, height: number): [number, number, number, number] {
  const [x0, y0, x1, y1] = box;
  const r = (v: number) => Math.round(v * 100) / 100;
  return [r(x0 * width), r(y0 * height), r((x1 - x0) * width), r((y1 - y0) * height)];
}
