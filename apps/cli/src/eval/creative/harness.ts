// Shared parts of the creative-controls eval: render eval cases with extra request fields,
// read every image back (any output format) and score it with the adherence analyzer.
import { decodeOutputImage, type FlowModel, type GenerateRequest } from '@flowfarm/pipeline';
import { analyzeImage } from '../analyze.js';
import type { Domain } from '../domain.js';
import type { EvalCase } from '../prompts.js';
import { ATTRIBUTES, score, summarize, type Attribute, type Scored } from '../report.js';

export interface Rendered {
  case: EvalCase;
  bytes: Uint8Array;
  rgb: Uint8Array;
  width: number;
  height: number;
  parameters: Record<string, string>;
}

export interface Context {
  model: FlowModel;
  domain: Domain;
  cases: EvalCase[];
  steps: number;
  log(line: string): void;
}

/** Renders each case with `extra(c)` merged into its request, one at a time (requests may differ in size). */
export async function renderCases(ctx: Context, extra: (c: EvalCase) => Partial<GenerateRequest>, cases = ctx.cases): Promise<Rendered[]> {
  const out: Rendered[] = [];
  for (const c of cases) {
    const r = await ctx.model.generate({ prompt: c.prompt, seed: c.seed, steps: ctx.steps, width: 64, height: 64, ...extra(c) });
    const image = await decodeOutputImage(r.images[0].data);
    out.push({ case: c, bytes: r.images[0].data, rgb: image.rgb, width: image.width, height: image.height, parameters: image.parameters });
  }
  return out;
}

export function scoreRendered(ctx: Context, rendered: Rendered[]): Scored[] {
  return rendered.map((r) => score(r.case, analyzeImage(r.rgb, r.width, r.height, ctx.domain)));
}

/** Percent correct per attribute (and all four targets' attributes together). */
export function accuracy(results: Scored[]): Record<Attribute | 'all', number> {
  const rows = summarize(results);
  return Object.fromEntries(rows.map((r) => [r.attribute, Math.round(r.accuracy * 1000) / 10])) as Record<Attribute | 'all', number>;
}

export function accuracyRow(label: string, results: Scored[]): string {
  const a = accuracy(results);
  return `| ${label} | ${ATTRIBUTES.map((k) => a[k].toFixed(1)).join(' | ')} | ${a.all.toFixed(1)} |`;
}

export const ACCURACY_HEADER = `| | ${ATTRIBUTES.join(' | ')} | all |\n|---|${ATTRIBUTES.map(() => '---').join('|')}|---|`;
