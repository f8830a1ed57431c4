// `flowfarm usage` — metered usage (succeeded jobs) per day or model, as a table, JSON or CSV.
// The tenant's own with FLOWFARM_API_KEY; every tenant's with --all (FLOWFARM_ADMIN_KEY).

import type { UsageGroupBy, UsageRow } from '@flowfarm/client';
import { EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson, printTable } from '../farm/print-output.js';

const USAGE = `usage: flowfarm usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--by day|model] [--csv] [--json] [--api URL]
       flowfarm usage --all [--tenant T] [--from …] [--to …] [--by day|model] [--csv] [--json]
Succeeded jobs: images, megapixel-steps (width × height × steps / 10⁶ × images) and GPU seconds.
Default range: the last 30 days. --csv prints the rows as CSV (for spreadsheets, billing).
(uses FLOWFARM_API_KEY; --all uses FLOWFARM_ADMIN_KEY)
`;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const quota = (limit: number | null, used: number) => (limit === null ? `${round(used)} (no limit)` : `${round(used)} of ${limit}`);
const round = (x: number) => String(Math.round(x * 1000) / 1000);

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('usage', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      from: { type: 'string' },
      to: { type: 'string' },
      by: { type: 'string' },
      csv: { type: 'boolean' },
      all: { type: 'boolean' },
      tenant: { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    for (const name of ['from', 'to'] as const) {
      if (values[name] !== undefined && !DAY.test(values[name])) throw new UsageError(`--${name} must be a day as YYYY-MM-DD (got "${values[name]}")`);
    }
    if (values.by !== undefined && values.by !== 'day' && values.by !== 'model') throw new UsageError(`--by must be day or model (got "${values.by}")`);
    if (values.tenant !== undefined && !values.all) throw new UsageError('--tenant needs --all (the admin report)');
    const farm = farmContext(values);
    const options = { from: values.from, to: values.to, groupBy: (values.by ?? 'day') as UsageGroupBy, ...(values.tenant ? { tenant: values.tenant } : {}) };
    if (values.csv) {
      process.stdout.write(values.all ? await farm.admin().usageCsv(options) : await farm.client().usageCsv(options));
      return EXIT_OK;
    }
    const own = values.all ? null : await farm.client().usage(options);
    const report = own ?? (await farm.admin().usage(options));
    if (farm.json) {
      printJson(report);
      return EXIT_OK;
    }
    const key = options.groupBy === 'day' ? 'DAY' : 'MODEL';
    const cells = (r: UsageRow) => [r.jobs, r.images, round(r.megapixel_steps), round(r.gpu_seconds)].map(String);
    printTable(
      [key, ...(values.all ? ['TENANT'] : []), 'JOBS', 'IMAGES', 'MEGAPIXEL-STEPS', 'GPU-SECONDS'],
      [...report.data.map((r) => [r.date ?? r.model ?? '', ...(values.all ? [r.tenant ?? ''] : []), ...cells(r)]), ...(report.data.length ? [['total', ...(values.all ? [''] : []), ...cells(report.totals)]] : [])],
      `no usage from ${report.from} to ${report.to}`,
    );
    if (own) {
      const q = own.quotas;
      const r = own.reserved;
      process.stdout.write(
        `\nquotas (queued, running and succeeded jobs count): today images ${quota(q.daily_images, r.day.images)}, megapixel-steps ${quota(q.daily_megapixel_steps, r.day.megapixel_steps)} (resets ${r.day_resets_at}); ` +
          `this month images ${quota(q.monthly_images, r.month.images)}, megapixel-steps ${quota(q.monthly_megapixel_steps, r.month.megapixel_steps)}\n`,
      );
    }
    return EXIT_OK;
  });
}
