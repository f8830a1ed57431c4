// Usage as pictures: a stacked bar chart of a figure per day (one colour per series) and a
// meter of a quota. Inline SVG built with DOM calls (no library, no innerHTML).
import type { UsageRow } from '@flowfarm/client';
import { el } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const COLOURS = ['#2a6f97', '#e76f51', '#2a9d8f', '#e9c46a', '#8d6cab', '#9aa5b1'];

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, ...children: (Node | string)[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

export type UsageFigure = 'images' | 'megapixel_steps' | 'gpu_seconds' | 'jobs';
export const FIGURE_NAMES: Record<UsageFigure, string> = { images: 'images', megapixel_steps: 'megapixel-steps', gpu_seconds: 'GPU seconds', jobs: 'jobs' };

/** Days from `from` to `to` inclusive (UTC, YYYY-MM-DD). */
export function dayRange(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

const short = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(1)}k` : Number.isInteger(x) || x >= 10 ? x.toFixed(0) : x.toFixed(x >= 1 ? 1 : 2));

/**
 * Stacked bars per day: `rows` carry `date` (and `tenant` when `stackBy` is tenant); the top
 * `maxSeries` series get their own colour, the rest are stacked as "other".
 */
export function dailyBars(rows: UsageRow[], days: string[], figure: UsageFigure, options: { stackBy?: 'tenant'; maxSeries?: number; label: string }): HTMLElement {
  const seriesOf = (r: UsageRow) => (options.stackBy ? (r.tenant ?? '?') : 'all');
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(seriesOf(r), (totals.get(seriesOf(r)) ?? 0) + r[figure]);
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([name]) => name);
  const shown = ranked.slice(0, options.maxSeries ?? 5);
  const nameOf = (r: UsageRow) => (shown.includes(seriesOf(r)) ? seriesOf(r) : 'other');
  const series = ranked.length > shown.length ? [...shown, 'other'] : shown;
  const perDay = new Map(days.map((d) => [d, new Map<string, number>()]));
  for (const r of rows) {
    const day = perDay.get(r.date ?? '');
    if (day) day.set(nameOf(r), (day.get(nameOf(r)) ?? 0) + r[figure]);
  }
  const dayTotal = (d: string) => [...perDay.get(d)!.values()].reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...days.map(dayTotal));
  const width = 640;
  const height = 160;
  const left = 40;
  const bottom = 18;
  const barWidth = (width - left) / Math.max(1, days.length);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${options.label}: ${FIGURE_NAMES[figure]} per day`, class: 'usage-chart' });
  chart.append(
    svg('line', { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: '#9aa5b1' }),
    svg('text', { x: left - 4, y: 10, 'text-anchor': 'end', 'font-size': 10 }, short(max)),
    svg('text', { x: left - 4, y: height - bottom, 'text-anchor': 'end', 'font-size': 10 }, '0'),
    svg('text', { x: left, y: height - 4, 'font-size': 10 }, days[0] ?? ''),
    svg('text', { x: width, y: height - 4, 'font-size': 10, 'text-anchor': 'end' }, days.at(-1) ?? ''),
  );
  days.forEach((day, i) => {
    let y = height - bottom;
    series.forEach((name, s) => {
      const value = perDay.get(day)!.get(name) ?? 0;
      if (!value || !max) return;
      const h = (value / max) * (height - bottom - 14);
      y -= h;
      chart.append(
        svg('rect', { x: left + i * barWidth + 1, y, width: Math.max(1, barWidth - 2), height: h, fill: COLOURS[s % COLOURS.length] }, svg('title', {}, `${day}${options.stackBy ? ` · ${name}` : ''}: ${short(value)} ${FIGURE_NAMES[figure]}`)),
      );
    });
  });
  const legend = options.stackBy
    ? el('p', { class: 'legend' }, ...series.flatMap((name, s) => [el('span', { class: 'swatch', style: `background:${COLOURS[s % COLOURS.length]}` }), ` ${name} `]))
    : el('span');
  return el('figure', { class: 'usage-figure' }, chart as unknown as Node, el('figcaption', { class: 'muted' }, `${options.label}: ${FIGURE_NAMES[figure]} per UTC day`), legend);
}

/** A horizontal meter of `used` against `limit` (no limit: just the figure). */
export function quotaMeter(label: string, used: number, limit: number | null, resetsAt: string): HTMLElement {
  const share = limit ? Math.min(1, used / limit) : 0;
  const meter = svg('svg', { viewBox: '0 0 200 10', class: 'quota-meter', role: 'img', 'aria-label': `${label}: ${short(used)} of ${limit ?? 'no limit'}` });
  meter.append(svg('rect', { x: 0, y: 0, width: 200, height: 10, fill: '#e4e7eb' }));
  if (limit) meter.append(svg('rect', { x: 0, y: 0, width: 200 * share, height: 10, fill: share >= 1 ? '#d62828' : share > 0.8 ? '#e9c46a' : '#2a9d8f' }));
  return el('div', { class: 'quota' }, el('span', {}, `${label}: ${short(used)}${limit === null ? ' (no limit)' : ` of ${limit}`}`), meter as unknown as Node, el('span', { class: 'muted' }, ` resets ${resetsAt.slice(0, 16).replace('T', ' ')} UTC`));
}

/** Starts a download of `text` as a file (CSV exports). */
export function download(text: string, name: string, type = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
