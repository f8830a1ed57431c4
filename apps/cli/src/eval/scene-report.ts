import type { ShapeReading } from './analyze.js';
import type { SceneSpec, ShapeSpec } from './render.js';
import type { SceneCase } from './scene-cases.js';

export interface SceneReading {
  background: string;
  shapes: ShapeReading[];
}

export interface SceneScore {
  case: SceneCase;
  reading: SceneReading;
  /** background right, as many shapes as asked, each matched with every attribute right */
  correct: boolean;
  /** at least one shape drawn */
  shapePresent: boolean;
  /** synonym cases: the attribute the synonym names is right on the matched shape */
  meantRight?: boolean;
}

const KEYS = ['color', 'position', 'shape', 'size'] as const;

/** Each asked shape paired with the nearest unused reading (by centroid to its position). */
function match(expected: SceneSpec, shapes: ShapeReading[], positions: Record<string, [number, number]>): Array<[ShapeSpec, ShapeReading | undefined]> {
  const left = [...shapes];
  return expected.shapes.map((s) => {
    const [px, py] = positions[s.position];
    let best = -1, bestD = Infinity;
    left.forEach((r, i) => {
      const d = (r.centroid[0] - px) ** 2 + (r.centroid[1] - py) ** 2;
      if (d < bestD) [best, bestD] = [i, d];
    });
    return [s, best >= 0 ? left.splice(best, 1)[0] : undefined];
  });
}

export function scoreScene(c: SceneCase, reading: SceneReading, positions: Record<string, [number, number]>): SceneScore {
  const pairs = match(c.expected, reading.shapes, positions);
  const allRight = pairs.every(([s, r]) => r !== undefined && KEYS.every((k) => r[k] === s[k]));
  const correct = reading.background === c.expected.background && reading.shapes.length === c.expected.shapes.length && allRight;
  const score: SceneScore = { case: c, reading, correct, shapePresent: reading.shapes.length > 0 };
  if (c.meant) {
    const r = pairs[0][1];
    score.meantRight = c.meant === 'background' ? reading.background === c.expected.background : r !== undefined && r[c.meant] === c.expected.shapes[0][c.meant];
  }
  return score;
}

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '—');

export interface Target {
  name: string;
  size: string;
  n: number;
  value: number;
  target: number;
}

export function targetTable(targets: Target[]): string {
  const lines = ['| target | size | n | measured | target | |', '|---|---|---:|---:|---:|---|'];
  for (const t of targets) {
    lines.push(`| ${t.name} | ${t.size} | ${t.n} | ${(t.value * 100).toFixed(1)}% | ≥ ${(t.target * 100).toFixed(0)}% | ${t.value >= t.target ? 'pass' : 'FAIL'} |`);
  }
  return lines.join('\n');
}

export const share = (xs: SceneScore[], f: (s: SceneScore) => boolean | undefined) => (xs.length ? xs.filter(f).length / xs.length : 0);

/** Per set, size and template: n, fully right, shape present, and (synonyms) the meant attribute. */
export function sceneTable(scores: SceneScore[]): string {
  const lines = ['| set | size | template | n | fully right | shape present | meant attribute |', '|---|---|---|---:|---:|---:|---:|'];
  const keyOf = (s: SceneScore) => `${s.case.set}\u0000${s.case.width}x${s.case.height}\u0000${s.case.template}`;
  for (const key of [...new Set(scores.map(keyOf))]) {
    const rs = scores.filter((s) => keyOf(s) === key);
    const [set, size, template] = key.split('\u0000');
    const meant = rs[0].case.meant ? pct(rs.filter((r) => r.meantRight).length, rs.length) : '—';
    lines.push(`| ${set} | ${size} | ${template} | ${rs.length} | ${pct(rs.filter((r) => r.correct).length, rs.length)} | ${pct(rs.filter((r) => r.shapePresent).length, rs.length)} | ${meant} |`);
  }
  return lines.join('\n');
}

export function sceneFailures(scores: SceneScore[], limit: number): string {
  const lines = ['| set | size | seed | prompt | read |', '|---|---|---:|---|---|'];
  for (const s of scores.filter((x) => !x.correct).slice(0, limit)) {
    const read = `${s.reading.background} background; ` + (s.reading.shapes.map((r) => `${r.size} ${r.color} ${r.shape ?? '?'} ${r.position}`).join(', ') || 'no shape');
    lines.push(`| ${s.case.set} | ${s.case.width}x${s.case.height} | ${s.case.seed} | ${s.case.prompt} | ${read} |`);
  }
  return lines.join('\n');
}
