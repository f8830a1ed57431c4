import type { LayoutSummary } from './layout-score.js';

export interface LayoutRow {
  variant: string;
  style: string;
  objectsPerLayout: number;
  summary: LayoutSummary;
  msPerImage: number;
}

/** The targets: objects placed (box IoU ≥ 0.5, right color and class). */
export const LAYOUT_TARGETS: Record<number, number> = { 2: 0.9, 3: 0.8 };

const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(1)}%`;

export function layoutTable(rows: LayoutRow[]): string {
  const lines = [
    '| guidance | object prompts | objects/layout | placed (color+shape, IoU ≥ 0.5) | color in box | whole layouts | background | target | ms/image |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const s = r.summary;
    const target = LAYOUT_TARGETS[r.objectsPerLayout];
    const pass = target !== undefined ? `${(target * 100).toFixed(0)}% ${s.placed / s.objects >= target ? 'pass' : 'miss'}` : '';
    lines.push(
      `| ${r.variant} | ${r.style} | ${r.objectsPerLayout} | ${s.placed}/${s.objects} (${pct(s.placed, s.objects)}) | ${pct(s.colorInBox, s.objects)} | ${pct(s.allPlaced, s.layouts)} | ${pct(s.background, s.layouts)} | ${pass} | ${r.msPerImage.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}
