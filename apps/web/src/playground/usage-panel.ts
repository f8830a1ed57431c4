// The playground's usage card: the tenant's images per day for the last 30 days (a bar chart),
// its quotas as meters, and a CSV export.
import type { FlowfarmClient } from '@flowfarm/client';
import { byId, el } from '../shared/dom.js';
import { dailyBars, dayRange, download, quotaMeter } from '../shared/usage-chart.js';

export async function renderUsage(client: FlowfarmClient): Promise<void> {
  const panel = byId('usage');
  const report = await client.usage({ groupBy: 'day' });
  const days = dayRange(report.from, report.to);
  const q = report.quotas;
  const r = report.reserved;
  const t = report.totals;
  panel.replaceChildren(
    el('p', {}, `Last 30 days: ${t.jobs} jobs, ${t.images} images, ${t.megapixel_steps.toFixed(2)} megapixel-steps, ${t.gpu_seconds.toFixed(1)} GPU seconds · weight ${report.weight}, priority up to ${report.max_priority}`),
    dailyBars(report.data, days, 'images', { label: 'Your images' }),
    el(
      'div',
      { class: 'quotas', 'data-testid': 'quotas' },
      quotaMeter('Images today', r.day.images, q.daily_images, r.day_resets_at),
      quotaMeter('Megapixel-steps today', r.day.megapixel_steps, q.daily_megapixel_steps, r.day_resets_at),
      quotaMeter('Images this month', r.month.images, q.monthly_images, r.month_resets_at),
      quotaMeter('Megapixel-steps this month', r.month.megapixel_steps, q.monthly_megapixel_steps, r.month_resets_at),
    ),
  );
}

export function bindUsageExport(getClient: () => FlowfarmClient | null, onError: (error: unknown) => void): void {
  byId('usage-csv').addEventListener('click', () => {
    const client = getClient();
    if (!client) return;
    client.usageCsv({ groupBy: 'day' }).then((csv) => download(csv, 'flowfarm-usage.csv'), onError);
  });
}
