// The operators' usage card: every tenant's megapixel-steps per day for the last 30 days (the
// five largest tenants stacked, the rest as "other"), a table per tenant with its policy, and
// a CSV export.
import type { FlowfarmAdmin, TenantPolicy, UsageRow } from '@flowfarm/client';
import { byId, el } from '../shared/dom.js';
import { dailyBars, dayRange, download } from '../shared/usage-chart.js';

const REFRESH_MS = 30_000;
let last = 0;

const limit = (x: number | null) => (x === null ? '–' : String(x));
const quotas = (p: TenantPolicy | undefined) =>
  p ? `day ${limit(p.quotas.daily_images)} img / ${limit(p.quotas.daily_megapixel_steps)} MPS · month ${limit(p.quotas.monthly_images)} img / ${limit(p.quotas.monthly_megapixel_steps)} MPS` : '–';

/** Redraws the card at most every 30 s (usage changes slowly; the page refreshes every 2 s). */
export async function refreshUsage(admin: FlowfarmAdmin, force = false): Promise<void> {
  if (!force && Date.now() - last < REFRESH_MS) return;
  last = Date.now();
  const [byDay, policies] = await Promise.all([admin.usage({ groupBy: 'day' }), admin.tenants()]);
  const days = dayRange(byDay.from, byDay.to);
  const perTenant = new Map<string, UsageRow>();
  for (const r of byDay.data) {
    const t = perTenant.get(r.tenant!) ?? { tenant: r.tenant, jobs: 0, images: 0, megapixel_steps: 0, gpu_seconds: 0 };
    t.jobs += r.jobs;
    t.images += r.images;
    t.megapixel_steps += r.megapixel_steps;
    t.gpu_seconds += r.gpu_seconds;
    perTenant.set(r.tenant!, t);
  }
  const policy = new Map(policies.map((p) => [p.tenant, p]));
  const tenants = [...new Set([...perTenant.keys(), ...policy.keys()])].sort((a, b) => (perTenant.get(b)?.megapixel_steps ?? 0) - (perTenant.get(a)?.megapixel_steps ?? 0));
  byId('usage-chart').replaceChildren(dailyBars(byDay.data, days, 'megapixel_steps', { stackBy: 'tenant', maxSeries: 5, label: 'All tenants' }));
  byId('usage-body').replaceChildren(
    ...tenants.map((tenant) => {
      const u = perTenant.get(tenant);
      const p = policy.get(tenant);
      return el(
        'tr',
        {},
        el('td', {}, tenant),
        el('td', {}, String(u?.jobs ?? 0)),
        el('td', {}, String(u?.images ?? 0)),
        el('td', {}, (u?.megapixel_steps ?? 0).toFixed(2)),
        el('td', {}, (u?.gpu_seconds ?? 0).toFixed(1)),
        el('td', {}, String(p?.weight ?? 1)),
        el('td', {}, p?.max_priority ?? 'normal'),
        el('td', {}, quotas(p)),
      );
    }),
  );
}

export function bindUsageExport(getAdmin: () => FlowfarmAdmin | null, onError: (error: unknown) => void): void {
  byId('usage-csv').addEventListener('click', () => {
    const admin = getAdmin();
    if (admin) admin.usageCsv({ groupBy: 'day' }).then((csv) => download(csv, 'flowfarm-usage-all-tenants.csv'), onError);
  });
}
