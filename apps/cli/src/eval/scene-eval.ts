// The v2 sections of `npm run eval:adherence`: held-out phrasings, 2- and 3-shape scenes,
// plurals, synonyms and unknown words, at 64, 128 and 256 px, scored scene by scene.
import { decodePngRgb, type FlowModel } from '@flowfarm/pipeline';
import { analyzeShapes } from './analyze.js';
import type { Domain } from './domain.js';
import { heldOutCases, multiShapeCases, pluralCases, synonymCases, unknownWordCases, type SceneCase } from './scene-cases.js';
import { scoreScene, share, type SceneScore, type Target } from './scene-report.js';

const BATCH = 4;

/** Case lists; `scale` (0..1] shrinks every count (for quick runs), at least 4 each. */
export function sceneCases(d: Domain, scale = 1): SceneCase[] {
  const n = (k: number) => Math.max(4, Math.round(k * scale));
  const at = (count: number, width: number, height: number, seed: number) => ({ count: n(count), width, height, seed });
  return [
    ...heldOutCases(d, at(120, 64, 64, 5000)),
    ...heldOutCases(d, at(60, 128, 128, 5200)),
    ...heldOutCases(d, at(30, 256, 256, 5400)),
    ...heldOutCases(d, at(20, 128, 64, 5600)),
    ...heldOutCases(d, at(20, 64, 96, 5700)),
    ...heldOutCases(d, at(60, 64, 64, 5800), true),
    ...multiShapeCases(d, 2, at(60, 64, 64, 6000)),
    ...multiShapeCases(d, 3, at(60, 64, 64, 6200)),
    ...multiShapeCases(d, 2, at(24, 128, 128, 6400)),
    ...multiShapeCases(d, 3, at(24, 128, 128, 6500)),
    ...multiShapeCases(d, 2, at(12, 256, 256, 6600)),
    ...multiShapeCases(d, 3, at(12, 256, 256, 6700)),
    ...pluralCases(d, at(24, 64, 64, 7000)),
    ...synonymCases(d, at(76, 64, 64, 7200)),
    ...unknownWordCases(d, at(40, 64, 64, 7400)),
  ];
}

/** Renders every case (same-size batches of 4) and scores what the analyzer reads. */
export async function runSceneEval(model: FlowModel, d: Domain, cases: SceneCase[], steps: number, onProgress?: (done: number) => void): Promise<SceneScore[]> {
  const scores: SceneScore[] = [];
  const bySize = new Map<string, SceneCase[]>();
  for (const c of cases) {
    const key = `${c.width}x${c.height}`;
    bySize.set(key, [...(bySize.get(key) ?? []), c]);
  }
  for (const list of bySize.values()) {
    for (let i = 0; i < list.length; i += BATCH) {
      const batch = list.slice(i, i + BATCH);
      const out = await model.generateBatch(batch.map((c) => ({ prompt: c.prompt, seed: c.seed, steps, width: c.width, height: c.height })));
      out.forEach((r, k) => {
        const png = decodePngRgb(r.images[0].data);
        scores.push(scoreScene(batch[k], analyzeShapes(png.rgb, png.width, png.height, d), d.positions));
      });
      onProgress?.(scores.length);
    }
  }
  const order = new Map(cases.map((c, i) => [c, i]));
  return scores.sort((a, b) => order.get(a.case)! - order.get(b.case)!);
}

/** The targets that these sections measure. */
export function sceneTargets(scores: SceneScore[]): Target[] {
  const sel = (set: string, w: number, h = w) => scores.filter((s) => s.case.set === set && s.case.width === w && s.case.height === h);
  const t = (name: string, size: string, xs: SceneScore[], f: (s: SceneScore) => boolean | undefined, target: number): Target =>
    ({ name, size, n: xs.length, value: share(xs, f), target });
  const unknownColor = scores.filter((s) => s.case.template === 'unknown color');
  return [
    t('one shape, held-out phrasings, fully right', '64x64', sel('held-out', 64), (s) => s.correct, 0.9),
    t('one shape, held-out phrasings, fully right', '128x128', sel('held-out', 128), (s) => s.correct, 0.85),
    t('one shape, held-out phrasings, fully right', '256x256', sel('held-out', 256), (s) => s.correct, 0.8),
    t('one shape, second held-out set (written after the parser change), fully right', '64x64', sel('held-out (fresh)', 64), (s) => s.correct, 0.9),
    t('two shapes, both fully right', '64x64', sel('2 shapes', 64), (s) => s.correct, 0.7),
    t('three shapes, all fully right', '64x64', sel('3 shapes', 64), (s) => s.correct, 0.5),
    t('trained synonyms: meant attribute right', '64x64', sel('synonyms', 64), (s) => s.meantRight, 0.8),
    t('unknown color word: a shape is drawn', '64x64', unknownColor, (s) => s.shapePresent, 1),
  ];
}
