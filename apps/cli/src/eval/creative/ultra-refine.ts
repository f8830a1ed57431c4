// Ultra, native against "refine": four times the base pixels rendered natively at the large size
// (what tiny-shapes' manifest declares, `ultra.mode: native`), or the way a model whose position
// ids do not generalize would do it: render at the base size, stretch the file to the ultra size
// and refine it there with image-to-image (the same file → VAE encoder path as jobs' `image`).
// Scored against the base size's adherence (issue 13: ultra within 5 points of base).
import { stepsAtStrength } from '@flowfarm/contracts/plain';
import { decodeOutputImage, initFromImageFile } from '@flowfarm/pipeline';
import type { Context, Rendered } from './harness.js';
import { ACCURACY_HEADER, accuracy, accuracyRow, renderCases, scoreRendered } from './harness.js';

/** Strengths of the refine pass measured. */
export const REFINE_STRENGTHS = [0.3, 0.5, 0.75] as const;

export async function ultraRefineSection(ctx: Context): Promise<string> {
  if (!ctx.model.canEncodeImages) return '## Ultra: native and refine\n\nnot measured: the model has no VAE encoder';
  const base = await renderCases(ctx, () => ({}));
  const baseAccuracy = accuracy(scoreRendered(ctx, base));
  // native: straight at the ultra size (explicit width and height, so whatever the manifest's mode)
  const { width, height } = ctx.model.resolve({ prompt: 'x', ultra: true });
  const native = await renderCases(ctx, () => ({ width, height }));
  const rows = [accuracyRow(`base (${base[0]!.width}x${base[0]!.height})`, scoreRendered(ctx, base)), accuracyRow(`ultra native (${width}x${height})`, scoreRendered(ctx, native))];
  const gap = (results: ReturnType<typeof scoreRendered>) => {
    const a = accuracy(results);
    return Math.max(...(['background', 'color', 'position', 'shape'] as const).map((k) => baseAccuracy[k] - a[k]));
  };
  const gaps = [`- ultra native: largest drop from base ${gap(scoreRendered(ctx, native)).toFixed(1)} points`];
  for (const strength of REFINE_STRENGTHS) {
    const refined: Rendered[] = [];
    for (const [i, c] of ctx.cases.entries()) {
      // the base render, stretched to the ultra size, refined there with the same prompt and seed
      const init = await initFromImageFile(ctx.model, base[i]!.bytes, width, height);
      const r = await ctx.model.generate({ prompt: c.prompt, seed: c.seed, steps: ctx.steps, width, height, init, strength });
      const image = await decodeOutputImage(r.images[0]!.data);
      refined.push({ case: c, bytes: r.images[0]!.data, rgb: image.rgb, width: image.width, height: image.height, parameters: image.parameters });
      ctx.log(`ultra refine ${strength}: ${i + 1}/${ctx.cases.length}`);
    }
    const results = scoreRendered(ctx, refined);
    const run = stepsAtStrength(ctx.steps, strength);
    rows.push(accuracyRow(`ultra refine, strength ${strength} (${run} of ${ctx.steps} steps at ${width}x${height})`, results));
    gaps.push(`- ultra refine at ${strength}: largest drop from base ${gap(results).toFixed(1)} points`);
  }
  return ['## Ultra: native and refine', '', 'Percent correct per attribute:', '', ACCURACY_HEADER, ...rows, '', ...gaps].join('\n');
}
