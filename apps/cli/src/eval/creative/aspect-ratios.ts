// Aspect ratios and ultra: adherence at every ratio's size and at four times the base pixels,
// beside the base size (target: within 5 points of base).
import { ASPECT_RATIOS } from '@flowfarm/contracts';
import type { Context } from './harness.js';
import { ACCURACY_HEADER, accuracy, accuracyRow, renderCases, scoreRendered } from './harness.js';

export async function aspectRatiosSection(ctx: Context): Promise<string> {
  const rows: string[] = [];
  const base = accuracy(scoreRendered(ctx, await renderCases(ctx, () => ({}))));
  const gaps: string[] = [];
  const configs = [
    ...ASPECT_RATIOS.map((ratio) => ({ label: ratio, extra: { aspectRatio: ratio } })),
    { label: 'ultra 1:1', extra: { ultra: true } },
    { label: 'ultra 16:9', extra: { ultra: true, aspectRatio: '16:9' as const } },
    { label: 'ultra 9:16', extra: { ultra: true, aspectRatio: '9:16' as const } },
  ];
  rows.push(`| base 64x64 | ${['background', 'color', 'position', 'shape', 'size'].map((k) => base[k as keyof typeof base].toFixed(1)).join(' | ')} | ${base.all.toFixed(1)} |`);
  for (const { label, extra } of configs) {
    const rendered = await renderCases(ctx, () => ({ width: undefined, height: undefined, ...extra }));
    const results = scoreRendered(ctx, rendered);
    const a = accuracy(results);
    // a size the model was not trained at renders at a trained one and is resampled (manifest trainedSizes)
    const renderedAt = rendered[0].parameters.render_size;
    const size = `${rendered[0].width}x${rendered[0].height}${renderedAt ? `, rendered at ${renderedAt}` : ''}`;
    rows.push(accuracyRow(`${label} (${size})`, results));
    const worst = (['background', 'color', 'position', 'shape'] as const).map((k) => base[k] - a[k]);
    gaps.push(`${label}: largest drop from base ${Math.max(...worst).toFixed(1)} points`);
    ctx.log(`aspect ${label}`);
  }
  return ['## Aspect ratios and ultra', '', 'Percent correct per attribute:', '', ACCURACY_HEADER, ...rows, '', ...gaps.map((g) => `- ${g}`)].join('\n');
}
