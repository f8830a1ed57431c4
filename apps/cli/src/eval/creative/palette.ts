// Palette lock: share of pixels near a palette color, and adherence when the prompt's colors
// are in the palette, for the post-decode mapping ("hard" and "edges") against no lock.
import { paletteCoverage, parseHexColor } from '@flowfarm/pipeline';
import type { EvalCase } from '../prompts.js';
import type { Context, Rendered } from './harness.js';
import { ACCURACY_HEADER, accuracy, accuracyRow, renderCases, scoreRendered } from './harness.js';

/** "Within a small color distance": Euclidean RGB distance (0-441). */
export const COVERAGE_TOLERANCE = 10;
/** A brand palette none of whose colors is in the model's domain. */
export const BRAND_PALETTE = ['#1d3557', '#e63946', '#f1faee', '#ffb703'];

const hex = (rgb: readonly number[]) => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

function coverage(rendered: Rendered[], palette: (c: EvalCase) => string[]): { mean: number; min: number } {
  const shares = rendered.map((r) => paletteCoverage(r.rgb, palette(r.case).map(parseHexColor), COVERAGE_TOLERANCE));
  return { mean: shares.reduce((a, b) => a + b, 0) / shares.length, min: Math.min(...shares) };
}

export async function paletteSection(ctx: Context): Promise<string> {
  const promptPalette = (c: EvalCase) => [hex(ctx.domain.colors[c.expected.background]), hex(ctx.domain.colors[c.expected.color])];
  const rows: string[] = [];
  const cover: string[] = [];
  const unlocked = await renderCases(ctx, () => ({}));
  rows.push(accuracyRow('no lock', scoreRendered(ctx, unlocked)));
  const base = accuracy(scoreRendered(ctx, unlocked));
  const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
  const u = coverage(unlocked, promptPalette);
  cover.push(`| no lock | prompt's 2 colors | ${pct(u.mean)} | ${pct(u.min)} |`);
  for (const edges of ['hard', 'edges'] as const) {
    const locked = await renderCases(ctx, (c) => ({ palette: promptPalette(c), paletteEdges: edges }));
    const results = scoreRendered(ctx, locked);
    rows.push(accuracyRow(`post-decode ${edges}`, results));
    const a = accuracy(results);
    const drop = Math.max(...(['background', 'color', 'position', 'shape'] as const).map((k) => base[k] - a[k]));
    rows.push(`| (largest drop vs no lock: ${drop.toFixed(1)} points) | | | | | | |`);
    const c = coverage(locked, promptPalette);
    cover.push(`| post-decode ${edges} | prompt's 2 colors | ${pct(c.mean)} | ${pct(c.min)} |`);
    const brand = await renderCases(ctx, () => ({ palette: BRAND_PALETTE, paletteEdges: edges }));
    const b = coverage(brand, () => BRAND_PALETTE);
    cover.push(`| post-decode ${edges} | brand ${BRAND_PALETTE.join(' ')} | ${pct(b.mean)} | ${pct(b.min)} |`);
    ctx.log(`palette ${edges}`);
  }
  return [
    '## Palette lock', '',
    `Pixels within distance ${COVERAGE_TOLERANCE} (Euclidean RGB) of a palette color, mean and worst image:`, '',
    '| method | palette | mean | worst image |', '|---|---|---|---|', ...cover, '',
    "Adherence with the prompt's colors as the palette (percent correct):", '',
    ACCURACY_HEADER, ...rows,
  ].join('\n');
}
