import type { Analysis } from './analyze.js';
import type { EvalCase, ShortCase } from './prompts.js';

export const ATTRIBUTES = ['background', 'color', 'position', 'shape', 'size'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

/** Targets from issue 2, at 4 steps (size has none). */
export const TARGETS: Partial<Record<Attribute, number>> = { background: 0.95, color: 0.9, position: 0.85, shape: 0.75 };

export interface Scored {
  case: EvalCase;
  analysis: Analysis;
  correct: Record<Attribute, boolean>;
}

export function score(c: EvalCase, analysis: Analysis): Scored {
  const correct = {} as Record<Attribute, boolean>;
  for (const a of ATTRIBUTES) correct[a] = analysis[a] === c.expected[a];
  return { case: c, analysis, correct };
}

export interface Row {
  attribute: Attribute | 'all';
  correct: number;
  total: number;
  accuracy: number;
  target?: number;
  pass?: boolean;
}

export function summarize(results: Scored[]): Row[] {
  const rows: Row[] = ATTRIBUTES.map((attribute) => {
    const correct = results.filter((r) => r.correct[attribute]).length;
    const accuracy = correct / results.length;
    const target = TARGETS[attribute];
    return { attribute, correct, total: results.length, accuracy, target, pass: target === undefined ? undefined : accuracy >= target };
  });
  const all = results.filter((r) => ATTRIBUTES.every((a) => r.correct[a])).length;
  rows.push({ attribute: 'all', correct: all, total: results.length, accuracy: all / results.length });
  return rows;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function table(rows: Row[]): string {
  const lines = ['| attribute | correct | accuracy | target | |', '|---|---:|---:|---:|---|'];
  for (const r of rows) {
    const mark = r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL';
    lines.push(`| ${r.attribute} | ${r.correct}/${r.total} | ${pct(r.accuracy)} | ${r.target === undefined ? '' : `≥ ${pct(r.target)}`} | ${mark} |`);
  }
  return lines.join('\n');
}

/** Accuracy per prompt template (word order, fillers, unknown words). */
export function byTemplate(results: Scored[]): string {
  const names = [...new Set(results.map((r) => r.case.template))];
  const lines = ['| template | n | background | color | position | shape | size |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const name of names) {
    const rs = results.filter((r) => r.case.template === name);
    const cells = ATTRIBUTES.map((a) => pct(rs.filter((r) => r.correct[a]).length / rs.length));
    lines.push(`| ${name} | ${rs.length} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Rows: expected shape; columns: what the analyzer read. */
export function shapeConfusion(results: Scored[], shapes: string[]): string {
  const cols = [...shapes, 'none'];
  const lines = [`| expected \\ read | ${cols.join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`];
  for (const s of shapes) {
    const rs = results.filter((r) => r.case.expected.shape === s);
    lines.push(`| ${s} | ${cols.map((c) => rs.filter((r) => (r.analysis.shape ?? 'none') === c).length).join(' | ')} |`);
  }
  return lines.join('\n');
}

export function failures(results: Scored[], limit: number): string {
  const bad = results.filter((r) => !ATTRIBUTES.every((a) => r.correct[a])).slice(0, limit);
  const lines = ['| # | seed | prompt | wrong (expected → read) |', '|---:|---:|---|---|'];
  for (const r of bad) {
    const wrong = ATTRIBUTES.filter((a) => !r.correct[a]).map((a) => `${a}: ${r.case.expected[a]} → ${r.analysis[a] ?? 'none'}`);
    lines.push(`| ${r.case.id} | ${r.case.seed} | ${r.case.prompt} | ${wrong.join('; ')} |`);
  }
  return lines.join('\n');
}

/** Per short form: how often each named attribute reads right, and how often no shape appears. */
export function shortPromptTable(results: Array<{ case: ShortCase; analysis: Analysis }>): string {
  const forms = [...new Set(results.map((r) => r.case.form))];
  const cols = ['background', 'color', 'shape', 'size'] as const;
  const pct = (n: number, d: number) => `${((100 * n) / d).toFixed(1)}%`;
  const lines = ['| prompt names | n | background | color | shape | size | no shape |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const form of forms) {
    const rs = results.filter((r) => r.case.form === form);
    const cells = cols.map((a) => (rs[0].case.named.includes(a) ? pct(rs.filter((r) => r.analysis[a] === r.case.expected[a]).length, rs.length) : '—'));
    lines.push(`| ${form} | ${rs.length} | ${cells.join(' | ')} | ${pct(rs.filter((r) => r.analysis.shape === null).length, rs.length)} |`);
  }
  return lines.join('\n');
}
