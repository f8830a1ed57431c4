// The operator-facing files in infra/ must agree with the code: every metric (and label) the
// Grafana dashboard, the alert rules and the KEDA autoscaler query is defined in
// packages/metrics, so no panel or alert is silently dead; and promtool accepts the
// Prometheus config and rules and passes the rules' unit tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { registry } from '@flowfarm/metrics';

const root = path.resolve(import.meta.dirname, '..');
const read = (rel: string) => readFileSync(path.join(root, rel), 'utf8');

/** Metric name → label names, from the live registry (our metrics + Node default metrics). */
const defined = new Map<string, Set<string>>(
  registry.getMetricsAsArray().map((m) => {
    const metric = m as unknown as { name: string; labelNames?: string[] };
    return [metric.name, new Set(metric.labelNames ?? [])];
  }),
);
// Labels Prometheus adds to every scraped series.
const TARGET_LABELS = new Set(['job', 'instance']);
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/;

interface Query {
  where: string;
  expr: string;
}

function dashboardQueries(): Query[] {
  const dash = JSON.parse(read('infra/grafana/dashboards/flowfarm-overview.json')) as {
    panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string; definition?: string }> };
  };
  const queries: Query[] = [];
  for (const panel of dash.panels) {
    for (const t of panel.targets ?? []) queries.push({ where: `dashboard panel "${panel.title}"`, expr: t.expr });
  }
  for (const v of dash.templating.list) {
    if (v.definition) queries.push({ where: `dashboard variable $${v.name}`, expr: v.definition });
  }
  return queries;
}

function ruleQueries(): Query[] {
  const rules = yamlDocs('infra/prometheus/rules/flowfarm-alerts.yml')[0] as {
    groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
  };
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert ?? r.record}`, expr: r.expr })));
}

function kedaQueries(): Query[] {
  const docs = yamlDocs('infra/k8s/worker-keda.yaml') as Array<{
    kind: string;
    metadata: { name: string };
    spec?: { triggers?: Array<{ type: string; metadata: { query?: string } }> };
  }>;
  const scaled = docs.filter((d) => d.kind === 'ScaledObject');
  expect(scaled.length).toBeGreaterThan(0);
  return scaled.flatMap((d) =>
    (d.spec?.triggers ?? [])
      .filter((t) => t.type === 'prometheus')
      .map((t) => ({ where: `KEDA ScaledObject ${d.metadata.name}`, expr: t.metadata.query ?? '' })),
  );
}

function yamlDocs(rel: string): unknown[] {
  return parseAllDocuments(read(rel)).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${rel}: ${doc.errors[0].message}`);
    return doc.toJS();
  });
}

/** Problems with one PromQL expression: unknown metrics, unknown label names in matchers. */
function problems(q: Query): string[] {
  const found: string[] = [];
  const uses = [...q.expr.matchAll(/\b(flowfarm_[a-z0-9_]+)(\{[^}]*\})?/g)];
  const usesUp = /\bup\{/.test(q.expr);
  if (uses.length === 0 && !usesUp) found.push(`${q.where}: queries no flowfarm metric: ${q.expr}`);
  for (const [, name, matchers] of uses) {
    const base = defined.has(name) ? name : name.replace(HISTOGRAM_SUFFIX, '');
    const labels = defined.get(base);
    if (!labels) {
      found.push(`${q.where}: ${name} is not defined in packages/metrics`);
      continue;
    }
    for (const [, label] of (matchers ?? '').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) {
      if (!labels.has(label) && !TARGET_LABELS.has(label) && !(label === 'le' && base !== name)) {
        found.push(`${q.where}: ${name} has no label "${label}"`);
      }
    }
  }
  return found;
}

describe('metric names in infra/ exist in packages/metrics', () => {
  it('the check itself spots an unknown metric, histogram suffixes and a wrong label', () => {
    expect(problems({ where: 'x', expr: 'rate(flowfarm_jobs_submited_total[5m])' })).toHaveLength(1);
    expect(problems({ where: 'x', expr: 'rate(flowfarm_job_e2e_seconds_bucket{model="a"}[5m])' })).toEqual([]);
    expect(problems({ where: 'x', expr: 'flowfarm_queue_jobs{modle="a"}' })).toHaveLength(1);
  });

  it('Grafana dashboard', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(15);
    expect(queries.flatMap(problems)).toEqual([]);
  });

  it('Prometheus alert rules', () => {
    const queries = ruleQueries();
    expect(queries.length).toBeGreaterThanOrEqual(5);
    expect(queries.flatMap(problems)).toEqual([]);
  });

  it('KEDA ScaledObject triggers', () => {
    const queries = kedaQueries();
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.flatMap(problems)).toEqual([]);
  });
});

describe('promtool', () => {
  const promtool = (...args: string[]) =>
    execFileSync('promtool', args, { cwd: path.join(root, 'infra/prometheus'), encoding: 'utf8', stdio: 'pipe' });

  it('accepts the scrape config and the rule files it loads', () => {
    const out = promtool('check', 'config', 'prometheus.yml');
    expect(out).toMatch(/SUCCESS: \d+ rule files found/);
    expect(out).toContain('flowfarm-alerts.yml');
  });

  it('accepts the alert rules', () => {
    expect(promtool('check', 'rules', 'rules/flowfarm-alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("passes the rules' unit tests (each alert fires on its situation and not on its neighbour)", () => {
    expect(promtool('test', 'rules', 'rules-test.yml')).toContain('SUCCESS');
  });

  it('parses every dashboard and KEDA query as PromQL (as recording rules, Grafana variables filled in)', () => {
    const exprs = [...dashboardQueries().filter((q) => !q.where.includes('variable')), ...kedaQueries()].map((q) =>
      q.expr.replaceAll('$__rate_interval', '1m').replaceAll('$model', '.*'),
    );
    const rules = { groups: [{ name: 'queries', rules: exprs.map((expr, i) => ({ record: `flowfarm:query_${i}`, expr })) }] };
    const dir = mkdtempSync(path.join(tmpdir(), 'flowfarm-promql-'));
    try {
      writeFileSync(path.join(dir, 'queries.yml'), stringify(rules));
      expect(promtool('check', 'rules', path.join(dir, 'queries.yml'))).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
