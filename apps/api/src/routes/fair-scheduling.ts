import { Router, type Request, type Response } from 'express';
import { TENANT_ROUTES, USAGE_ROUTES, ValidationError, type UsageQuery, type UsageReport } from '@flowfarm/contracts';
import { MAX_USAGE_DAYS, daysBetween, usageCsv, utcDay } from '@flowfarm/queue';
import { requireTenant } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { serveRoute } from '../serve-route.js';

/** The report's range and form from the query (parsed by the route's UsageQuery). */
function usageQuery(req: Request, q: UsageQuery) {
  const to = q.to ?? utcDay(Date.now());
  const from = q.from ?? utcDay(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000);
  const days = daysBetween(from, to).length;
  if (Number.isNaN(Date.parse(`${from}T00:00:00Z`)) || Number.isNaN(Date.parse(`${to}T00:00:00Z`)) || days === 0) {
    throw new ValidationError([{ path: 'from', message: 'from must be a valid day on or before to', code: 'invalid_range' }]);
  }
  if (days > MAX_USAGE_DAYS) throw new ValidationError([{ path: 'from', message: `at most ${MAX_USAGE_DAYS} days per report`, code: 'invalid_range' }]);
  // JSON unless asked for CSV (`*/*` and no Accept header get JSON: it is listed first)
  const csv = q.format === 'csv' || (q.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
  return { ...q, from, to, csv };
}

/** Sends a report as JSON, or as CSV for `format=csv` / `Accept: text/csv`. */
function sendReport(res: Response, report: UsageReport, csv: boolean, byTenant: boolean, extra: Record<string, unknown> = {}): void {
  if (!csv) return void res.json({ ...report, ...extra });
  res
    .type('text/csv; charset=utf-8')
    .set('Content-Disposition', `attachment; filename="usage-${report.from}-${report.to}-by-${report.group_by}.csv"`)
    .send(usageCsv(report.data, { groupBy: report.group_by, byTenant }));
}

/**
 * Usage for tenants (GET /v1/usage) and operators (GET /v1/admin/usage), and the tenant policy
 * operators set: weight, highest priority, quotas (GET/PUT /v1/admin/tenants/{tenant}).
 */
export function fairSchedulingRouter(deps: ApiDeps): Router {
  const router = Router();

  serveRoute(router, '/v1', USAGE_ROUTES.tenant, async (req, res, { query }) => {
    const tenant = requireTenant(req);
    const q = usageQuery(req, query);
    if (q.tenant !== undefined && q.tenant !== tenant) throw new ValidationError([{ path: 'tenant', message: 'a tenant key reports its own usage only', code: 'not_allowed' }]);
    const [report, policy, reserved] = await Promise.all([
      deps.usage.report({ tenants: [tenant], from: q.from, to: q.to, groupBy: q.group_by, byTenant: false }),
      deps.policies.get(tenant),
      deps.usage.quotaUsage(tenant),
    ]);
    sendReport(res, { from: q.from, to: q.to, group_by: q.group_by, ...report }, q.csv, false, { tenant, quotas: policy.quotas, weight: policy.weight, max_priority: policy.max_priority, reserved });
  });

  serveRoute(router, '/v1', USAGE_ROUTES.admin, async (req, res, { query }) => {
    const q = usageQuery(req, query);
    const report = await deps.usage.report({ tenants: q.tenant ? [q.tenant] : null, from: q.from, to: q.to, groupBy: q.group_by, byTenant: true });
    sendReport(res, { from: q.from, to: q.to, group_by: q.group_by, ...report }, q.csv, true);
  });

  // the tenant policy routes are declared in contracts' routes/ops.ts
  serveRoute(router, '/v1', TENANT_ROUTES.list, async (_req, res) => {
    res.json({ data: await deps.policies.list() });
  });
  serveRoute(router, '/v1', TENANT_ROUTES.get, async (_req, res, { params }) => {
    res.json(await deps.policies.get(params.tenant));
  });
  serveRoute(router, '/v1', TENANT_ROUTES.put, async (req, res, { params, body }) => {
    const policy = await deps.policies.update(params.tenant, body);
    deps.logger.info({ tenant: params.tenant, update: body, reqId: req.id }, 'tenant policy changed');
    res.json(policy);
  });

  return router;
}
