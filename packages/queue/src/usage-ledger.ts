import type { Redis } from 'ioredis';
import type { UsageGroupBy, UsageRow } from '@flowfarm/contracts';
import type { FarmKeys } from './keys.js';
import { dayPeriod, monthPeriod, quotaPeriods } from './quota-periods.js';

/** Longest report: a year and a bit of days (one hash read per tenant and day). */
export const MAX_USAGE_DAYS = 400;

export interface UsageRequest {
  /** Tenants to report; null: every tenant with usage in the range (admin). */
  tenants: string[] | null;
  from: string;
  to: string;
  groupBy: UsageGroupBy;
  /** Rows per tenant as well (admin reports). */
  byTenant: boolean;
}

/** Days from `from` to `to` inclusive, as `YYYY-MM-DD` (UTC). */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

const empty = (): UsageRow => ({ jobs: 0, images: 0, megapixel_steps: 0, gpu_seconds: 0 });

/**
 * Reads the usage the job store meters when a job succeeds (JobLifecycle.succeed): one hash
 * per tenant and UTC day with counters per model and API key.
 */
export class UsageLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keys: FarmKeys,
  ) {}

  async report(request: UsageRequest): Promise<{ data: UsageRow[]; totals: UsageRow }> {
    const days = daysBetween(request.from, request.to);
    const groups = new Map<string, UsageRow>();
    const totals = empty();
    for (const day of days) {
      const tenants = request.tenants ?? (await this.redis.smembers(this.keys.usageTenants(day)));
      const pipeline = this.redis.pipeline();
      for (const tenant of tenants) pipeline.hgetall(this.keys.usageDay(tenant, day));
      const hashes = ((await pipeline.exec()) ?? []).map(([, h]) => (h ?? {}) as Record<string, string>);
      tenants.forEach((tenant, i) => {
        for (const [field, value] of Object.entries(hashes[i])) {
          const parts = field.split('|');
          const what = parts.pop()!;
          parts.pop(); // key id
          const model = parts.join('|');
          const dimension = request.groupBy === 'day' ? { date: day } : { model };
          const id = `${request.byTenant ? tenant : ''}\u0000${request.groupBy === 'day' ? day : model}`;
          let row = groups.get(id);
          if (!row) groups.set(id, (row = { ...dimension, ...(request.byTenant ? { tenant } : {}), ...empty() }));
          for (const target of [row, totals]) add(target, what, Number(value));
        }
      });
    }
    const data = [...groups.values()].sort((a, b) => (a.date ?? a.model ?? '').localeCompare(b.date ?? b.model ?? '') || (a.tenant ?? '').localeCompare(b.tenant ?? ''));
    return { data: data.map(round), totals: round(totals) };
  }

  /** Images and megapixel-steps a tenant has reserved (queued, running and succeeded jobs) in the current periods. */
  async quotaUsage(tenant: string, now = Date.now()): Promise<{ day: { images: number; megapixel_steps: number }; month: { images: number; megapixel_steps: number }; day_resets_at: string; month_resets_at: string }> {
    const p = quotaPeriods(now);
    const [day, month] = await Promise.all([
      this.redis.hgetall(this.keys.quotaCounter(tenant, dayPeriod(p.day))),
      this.redis.hgetall(this.keys.quotaCounter(tenant, monthPeriod(p.month))),
    ]);
    const figures = (h: Record<string, string>) => ({ images: Number(h.images ?? 0), megapixel_steps: Number(h.px ?? 0) / 1e6 });
    return { day: figures(day), month: figures(month), day_resets_at: new Date(p.dayResetMs).toISOString(), month_resets_at: new Date(p.monthResetMs).toISOString() };
  }
}

function add(row: UsageRow, what: string, value: number): void {
  if (what === 'jobs') row.jobs += value;
  else if (what === 'images') row.images += value;
  else if (what === 'px') row.megapixel_steps += value / 1e6;
  else if (what === 'gpu_ms') row.gpu_seconds += value / 1000;
}

function round(row: UsageRow): UsageRow {
  return { ...row, megapixel_steps: Math.round(row.megapixel_steps * 1e6) / 1e6, gpu_seconds: Math.round(row.gpu_seconds * 1000) / 1000 };
}

/** Rows as CSV (RFC 4180) with a header line: the group column, the tenant (admin), then the figures. */
export function usageCsv(rows: UsageRow[], shape: { groupBy: UsageGroupBy; byTenant: boolean }): string {
  const columns = [shape.groupBy === 'day' ? 'date' : 'model', ...(shape.byTenant ? ['tenant'] : []), 'jobs', 'images', 'megapixel_steps', 'gpu_seconds'];
  const cell = (v: unknown) => {
    const s = v === undefined ? '' : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell((r as Record<string, unknown>)[c])).join(','))].join('\r\n') + '\r\n';
}
