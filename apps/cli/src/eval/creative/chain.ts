// Prompt chaining: a two-stage chain whose second stage changes only the background (issue 13's
// target: the final image right in >= 85 % of cases). Stage 0 renders the eval case; stage 1
// refines stage 0's file with image-to-image (as the farm's workers and `generate --stage` do:
// seed + 1, the file decoded, resized and encoded by the model's VAE encoder) with the same
// scene on a new background. "Right" = the new background and the case's color, shape and
// position all read back from the final image.
import { createHash } from 'node:crypto';
import { DEFAULT_STAGE_STRENGTH, stepsAtStrength } from '@flowfarm/contracts/plain';
import { decodeOutputImage, initFromImageFile } from '@flowfarm/pipeline';
import { analyzeImage } from '../analyze.js';
import type { EvalCase } from '../prompts.js';
import { score, type Scored } from '../report.js';
import type { Context } from './harness.js';
import { ACCURACY_HEADER, accuracyRow } from './harness.js';

/** Second-stage strengths measured (1: the second stage starts from noise, i.e. ignores stage 0). */
export const CHAIN_STRENGTHS = [0.5, 0.6, 0.75, 0.9, 1] as const;

/** The case with a new background (neither its old one nor its shape's color) and the prompt saying so. */
export function withNewBackground(c: EvalCase, colors: string[]): EvalCase {
  const e = c.expected;
  const others = colors.filter((k) => k !== e.background && k !== e.color);
  const background = others[c.id % others.length]!;
  const where = e.position === 'center' ? 'in the center' : `at the ${e.position}`;
  return { ...c, prompt: `a ${e.size} ${e.color} ${e.shape} ${where} on a ${background} background`, expected: { ...e, background } };
}

export async function chainSection(ctx: Context): Promise<string> {
  if (!ctx.model.canEncodeImages) return '## Prompt chaining\n\nnot measured: the model has no VAE encoder';
  const colors = Object.keys(ctx.domain.colors);
  const size = 64;
  const read = async (bytes: Uint8Array) => {
    const image = await decodeOutputImage(bytes);
    return analyzeImage(image.rgb, image.width, image.height, ctx.domain);
  };
  // stage 0, once per case
  const first: Array<{ bytes: Uint8Array; scored: Scored }> = [];
  for (const c of ctx.cases) {
    const r = await ctx.model.generate({ prompt: c.prompt, seed: c.seed, steps: ctx.steps, width: size, height: size, stage: { index: 0, count: 2 } });
    first.push({ bytes: r.images[0]!.data, scored: score(c, await read(r.images[0]!.data)) });
  }
  const stage0 = first.map((f) => f.scored);
  const rows = [accuracyRow('stage 0 (its own prompt)', stage0)];
  const summary: string[] = [];
  for (const strength of CHAIN_STRENGTHS) {
    const finals: Scored[] = [];
    let kept = 0;
    let rightCount = 0;
    let rightWhereFirstRight = 0;
    let firstRight = 0;
    for (const [i, c] of ctx.cases.entries()) {
      const next = withNewBackground(c, colors);
      const from = first[i]!.bytes;
      const init = await initFromImageFile(ctx.model, from, size, size);
      const r = await ctx.model.generate({
        prompt: next.prompt, seed: (c.seed + 1) % 2 ** 32, steps: ctx.steps, width: size, height: size,
        init, strength, inputImageSha256: createHash('sha256').update(from).digest('hex'), stage: { index: 1, count: 2 },
      });
      const s = score(next, await read(r.images[0]!.data));
      finals.push(s);
      const right = s.correct.background && s.correct.color && s.correct.shape && s.correct.position;
      if (right) rightCount++;
      const was = first[i]!.scored.correct;
      if (s.analysis.color === first[i]!.scored.analysis.color && s.analysis.shape === first[i]!.scored.analysis.shape && s.analysis.position === first[i]!.scored.analysis.position) kept++;
      if (was.background && was.color && was.shape && was.position) {
        firstRight++;
        if (right) rightWhereFirstRight++;
      }
      ctx.log(`chain strength ${strength}: ${i + 1}/${ctx.cases.length}`);
    }
    rows.push(accuracyRow(`final, stage 1 at strength ${strength}`, finals));
    const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)} %` : '–');
    const run = stepsAtStrength(ctx.steps, strength);
    summary.push(`| ${strength}${strength === DEFAULT_STAGE_STRENGTH ? ' (the default)' : ''} (${run} of ${ctx.steps} steps) | ${pct(rightCount, ctx.cases.length)} (${rightCount}/${ctx.cases.length}) | ${pct(rightWhereFirstRight, firstRight)} (${rightWhereFirstRight}/${firstRight}) | ${pct(kept, ctx.cases.length)} |`);
  }
  return [
    '## Prompt chaining (two stages, the second changes the background)', '',
    "Final image right (new background, and the case's color, shape and position): all cases; the cases whose stage 0 was right; and how often the final image kept stage 0's color, shape and position as read:", '',
    '| stage 1 strength | final right | final right where stage 0 was right | stage 0 kept |', '|---|---|---|---|', ...summary, '',
    'Adherence per attribute (percent correct; stage 0 scored against its own prompt, the final image against the new background; "all" includes size):', '',
    ACCURACY_HEADER, ...rows,
  ].join('\n');
}
