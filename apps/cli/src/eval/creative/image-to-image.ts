// Image-to-image with a prompt that changes only the background (issue 13's target: at strength
// 0.5 the new background is right and the image's shape, color and position are kept in >= 85 %
// of cases). Each eval case is rendered ideally (the analyzer's own renderer) as the starting
// image, read back through the model's VAE encoder as the farm's workers do it, and refined with
// the same scene on a new background (the color the farm test picks), the case's seed.
import { stepsAtStrength } from '@flowfarm/contracts/plain';
import { decodeOutputImage, encodeOutputImage, initFromImageFile } from '@flowfarm/pipeline';
import { analyzeImage } from '../analyze.js';
import { renderScene } from '../render.js';
import type { Context } from './harness.js';

/** Strengths measured (1: from noise, the image ignored). */
export const IMAGE_STRENGTHS = [0.5, 0.6, 0.75, 1] as const;

export async function imageToImageSection(ctx: Context): Promise<string> {
  if (!ctx.model.canEncodeImages) return '## Image-to-image\n\nnot measured: the model has no VAE encoder';
  const size = 64;
  const colors = Object.keys(ctx.domain.colors);
  const starts = [];
  for (const c of ctx.cases) {
    const e = c.expected;
    const background = colors.find((k) => k !== e.background && k !== e.color && colors.indexOf(k) > colors.indexOf(e.background)) ?? colors.find((k) => k !== e.background && k !== e.color)!;
    const png = (await encodeOutputImage(renderScene(e, size, size, ctx.domain), size, size, { format: 'png', parameters: {} })).data;
    const where = e.position === 'center' ? 'in the center' : `at the ${e.position}`;
    starts.push({ c, background, init: await initFromImageFile(ctx.model, png, size, size), prompt: `a ${e.size} ${e.color} ${e.shape} ${where} on a ${background} background` });
  }
  const rows: string[] = [];
  const pct = (n: number) => `${((100 * n) / starts.length).toFixed(1)} % (${n}/${starts.length})`;
  for (const strength of IMAGE_STRENGTHS) {
    let kept = 0, changed = 0, both = 0;
    for (const [i, s] of starts.entries()) {
      const r = await ctx.model.generate({ prompt: s.prompt, seed: s.c.seed, steps: ctx.steps, width: size, height: size, init: s.init, strength });
      const image = await decodeOutputImage(r.images[0]!.data);
      const a = analyzeImage(image.rgb, image.width, image.height, ctx.domain);
      const e = s.c.expected;
      const keeps = a.color === e.color && a.shape === e.shape && a.position === e.position;
      kept += Number(keeps);
      changed += Number(a.background === s.background);
      both += Number(keeps && a.background === s.background);
      ctx.log(`image-to-image strength ${strength}: ${i + 1}/${starts.length}`);
    }
    const run = stepsAtStrength(ctx.steps, strength);
    rows.push(`| ${strength} (${run} of ${ctx.steps} steps) | ${pct(changed)} | ${pct(kept)} | ${pct(both)} |`);
  }
  return [
    '## Image-to-image (the prompt changes only the background)', '',
    "Ideal renders of the eval cases at 64x64 as starting images; the prompt names the same shape on a new background:", '',
    '| strength | new background | shape, color and position kept | both |', '|---|---|---|---|', ...rows,
  ].join('\n');
}
