// `npm run eval:labels`: labels accuracy of layout datasets. A dataset spec of the documented
// form (random non-overlapping boxes of labelled shapes, `datasetItem`) is rendered item by item
// through the pipeline exactly as a worker renders it; the COCO annotations.json is assembled
// by the code the worker uses (`assembleDatasetFiles` of @flowfarm/contracts), then each annotation is checked against the
// shapes found in its image (eval/dataset-labels.ts: a drawn shape with IoU ≥ 0.5, then its
// class, then its color). The target: ≥ 90 % of COCO boxes match what was drawn.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { assembleDatasetFiles, datasetItem, pixelBox, type ManifestLine } from '@flowfarm/contracts';
import { decodePngRgb, loadModel, type RegionalOptions } from '@flowfarm/pipeline';
import type { DatasetRecord, FilledDatasetSpec } from '@flowfarm/queue';
import { DEFAULT_MODEL, DEFAULT_MODELS_DIR } from './commands/generate.js';
import { loadDomain } from './eval/domain.js';
import { colorOfPrompt, scoreImageLabels, summarizeLabels, type ImageLabelScore, type LabelSummary } from './eval/dataset-labels.js';

const BATCH = 8;
const TARGET = 0.9;

interface Row {
  boxSize: [number, number];
  objects: number;
  summary: LabelSummary;
}

const pct = (k: number, n: number) => `${((100 * k) / Math.max(1, n)).toFixed(1)}%`;

function table(rows: Row[]): string {
  const lines = [
    '| box side (× image) | objects/image | COCO boxes | drawn shape, IoU ≥ 0.5 | + class = category | + prompted color | images all matched | drawn shapes not annotated | target (90 % of boxes) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const s = r.summary;
    lines.push(
      `| ${r.boxSize[0]}–${r.boxSize[1]} | ${r.objects} | ${s.annotations} | ${s.box}/${s.annotations} (${pct(s.box, s.annotations)}) | ${pct(s.label, s.annotations)} | ${pct(s.color, s.annotations)} | ${pct(s.wholeImages, s.images)} | ${s.unannotated}/${s.drawn} | ${s.box / s.annotations >= TARGET ? 'pass' : 'miss'} |`,
    );
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: DEFAULT_MODEL },
      'models-dir': { type: 'string', default: DEFAULT_MODELS_DIR },
      count: { type: 'string', default: '60' },
      steps: { type: 'string', default: '4' },
      size: { type: 'string', default: '64' },
      seed: { type: 'string', default: '20261202' },
      // box sides to compare, "min-max" separated by commas (the documented default is 0.22-0.4)
      boxes: { type: 'string', default: '0.22-0.4,0.4-0.4' },
      out: { type: 'string' },
      regional: { type: 'string' }, // RegionalOptions as JSON, e.g. '{"derivePrompts":false}' (prompts as written)
    },
  });
  const dir = path.resolve(values['models-dir'], values.model);
  const domain = loadDomain(dir);
  const model = await loadModel(dir);
  const regional = values.regional ? (JSON.parse(values.regional) as RegionalOptions) : undefined;
  const side = Number(values.size), steps = Number(values.steps), count = Number(values.count);
  const backgrounds = ['white', 'black'].filter((c) => c in domain.colors);
  const colors = Object.keys(domain.colors).filter((c) => !backgrounds.includes(c));
  const rows: Row[] = [];
  for (const boxes of values.boxes.split(',')) {
    const boxSize = boxes.split('-').map(Number) as [number, number];
    for (const n of [1, 2, 3]) {
      const spec: FilledDatasetSpec = {
        name: 'labels-eval', count, seed: Number(values.seed), model: values.model, width: side, height: side, steps,
        layout: {
          objects: { min: n, max: n },
          labels: domain.shapes.map((shape) => ({ label: shape, prompt: `a large {color} ${shape} on a {bg} background` })),
          box_size: boxSize,
          background: 'a {bg} background',
          object_variables: ['color'],
        },
        variables: { color: colors, bg: backgrounds },
      };
      const record: DatasetRecord = { id: 'ds_labels_eval', tenant: 'eval', spec, status: 'running', createdAt: Date.now(), startedAt: null, finishedAt: null, error: null };
      const items = Array.from({ length: count }, (_, i) => datasetItem(spec, i));
      const lines: ManifestLine[] = [];
      const pixels = new Map<number, Uint8Array>();
      for (let i = 0; i < items.length; i += BATCH) {
        const chunk = items.slice(i, i + BATCH);
        const out = await model.generateBatch(chunk.map((it) => ({ prompt: it.prompt, seed: it.seed, steps, width: side, height: side, ...(it.layout ? { layout: it.layout, ...(regional ? { regional } : {}) } : {}) })));
        out.forEach((r, k) => {
          const it = chunk[k];
          pixels.set(it.index, decodePngRgb(r.images[0].data).rgb);
          lines.push({
            index: it.index, status: 'succeeded', file: `images/${it.index}.png`, key: null, prompt: it.prompt, seed: it.seed, width: side, height: side, steps,
            model: values.model, pipeline: null, values: it.values, ...(it.layout ? { layout: it.layout } : {}),
            labels: (it.layout?.objects ?? []).map((o) => ({ label: o.label ?? o.prompt, bbox: pixelBox(o.box, side, side) })),
          });
        });
      }
      async function* records() {
        for (const l of lines) yield l as unknown as Record<string, unknown>;
      }
      const coco = JSON.parse((await assembleDatasetFiles(record, records())).annotations) as {
        images: { id: number }[];
        annotations: { image_id: number; category_id: number; bbox: [number, number, number, number] }[];
        categories: { id: number; name: string }[];
      };
      const category = new Map(coco.categories.map((c) => [c.id, c.name]));
      const scores: ImageLabelScore[] = coco.images.map((image) => {
        const index = image.id - 1;
        const objects = items[index].layout?.objects ?? [];
        const labels = coco.annotations
          .filter((a) => a.image_id === image.id)
          .map((a, k) => ({ bbox: a.bbox, label: category.get(a.category_id) ?? '', color: objects[k] ? colorOfPrompt(objects[k].prompt, domain) : null }));
        return scoreImageLabels(labels, pixels.get(index)!, side, side, domain);
      });
      const row: Row = { boxSize, objects: n, summary: summarizeLabels(scores) };
      rows.push(row);
      process.stderr.write(`boxes ${boxes} | ${n}: ${row.summary.box}/${row.summary.annotations} boxes matched\n`);
    }
  }
  await model.release();
  const md = table(rows);
  process.stdout.write(`${model.name}: ${count} dataset items per row (seed ${values.seed}), ${steps} steps, ${side}x${side}\n\n${md}\n`);
  if (values.out) writeFileSync(values.out, `${md}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`eval:labels: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
