import { describe, expect, it } from 'vitest';
import { assembleDatasetFiles, pixelBox, type DatasetFilesSource, type ManifestLine } from './dataset-files.js';

async function* lines(items: ManifestLine[]) {
  for (const item of items) yield item as unknown as Record<string, unknown>;
}

const base = { prompt: 'p', seed: 1, width: 64, height: 32, steps: 4, model: 'shapes', pipeline: '1', values: {} };

describe('dataset files', () => {
  it('writes one manifest line per item and COCO annotations of the succeeded ones, categories in label order', async () => {
    const record = { id: 'ds_1', createdAt: Date.UTC(2026, 0, 2), spec: { name: 'boxes', layout: { labels: [{ label: 'circle' }, { label: 'square' }] } } };
    const items: ManifestLine[] = [
      { ...base, index: 0, status: 'succeeded', file: 'images/0.png', key: 'k0', labels: [{ label: 'square', bbox: pixelBox([0.25, 0.5, 0.75, 1], 64, 32) }] },
      { ...base, index: 1, status: 'failed', file: null, key: null, labels: [], error: 'boom' },
    ];
    const files = await assembleDatasetFiles(record as unknown as DatasetFilesSource, lines(items));
    expect(files).toMatchObject({ succeeded: 1, failed: 1 });
    expect(files.manifest.trim().split('\n').map((l) => JSON.parse(l).index)).toEqual([0, 1]);
    const coco = JSON.parse(files.annotations);
    expect(coco.info).toMatchObject({ description: 'boxes', year: 2026 });
    expect(coco.categories.map((c: { id: number; name: string }) => `${c.id}:${c.name}`)).toEqual(['1:circle', '2:square']);
    expect(coco.images).toEqual([{ id: 1, file_name: 'images/0.png', width: 64, height: 32 }]);
    expect(coco.annotations).toEqual([{ id: 1, image_id: 1, category_id: 2, bbox: [16, 16, 32, 16], area: 512, iscrowd: 0 }]);
  });
});
