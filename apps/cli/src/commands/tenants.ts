// `flowfarm tenants list|get|set` — a tenant's weight in fair share, highest job priority and
// quotas (admin key).

import type { JobPriority, TenantPolicy, TenantPolicyUpdate, TenantQuotas } from '@flowfarm/client';
import { EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson, printTable } from '../farm/print-output.js';

const USAGE = `usage: flowfarm tenants list [--json] [--api URL]
       flowfarm tenants get <tenant> [--json]
       flowfarm tenants set <tenant> [--weight W] [--max-priority high|normal|low]
             [--daily-images N] [--daily-mps N] [--monthly-images N] [--monthly-mps N] [--json]
--weight: share of the farm when tenants compete (default 1; 3 = three times a weight-1 tenant).
Quotas count images and megapixel-steps (width × height × steps / 10⁶ × images) per UTC day
and month; "none" removes one. (uses FLOWFARM_ADMIN_KEY)
`;

const QUOTA_FLAGS: Record<string, keyof TenantQuotas> = {
  'daily-images': 'daily_images',
  'daily-mps': 'daily_megapixel_steps',
  'monthly-images': 'monthly_images',
  'monthly-mps': 'monthly_megapixel_steps',
};

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} must be a number ≥ 0 or "none" (got "${value}")`);
  return n;
}

const limit = (x: number | null) => (x === null ? '–' : String(x));
const row = (p: TenantPolicy) => [p.tenant, String(p.weight), p.max_priority, limit(p.quotas.daily_images), limit(p.quotas.daily_megapixel_steps), limit(p.quotas.monthly_images), limit(p.quotas.monthly_megapixel_steps)];
const HEADER = ['TENANT', 'WEIGHT', 'MAX PRIORITY', 'DAY IMAGES', 'DAY MPS', 'MONTH IMAGES', 'MONTH MPS'];

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('tenants', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, {
      weight: { type: 'string' },
      'max-priority': { type: 'string' },
      'daily-images': { type: 'string' },
      'daily-mps': { type: 'string' },
      'monthly-images': { type: 'string' },
      'monthly-mps': { type: 'string' },
    });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const [action, tenant, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const farm = farmContext(values);
    const show = (policies: TenantPolicy[]) => (farm.json ? printJson(policies.length === 1 && action !== 'list' ? policies[0] : { data: policies }) : printTable(HEADER, policies.map(row), 'no tenant has a policy (all weight 1, max priority normal, no quotas)'));
    if (action === 'list') {
      show(await farm.admin().tenants());
      return EXIT_OK;
    }
    if (!tenant) throw new UsageError(`tenants ${action ?? '<action>'} needs a tenant name`);
    if (action === 'get') {
      show([await farm.admin().tenant(tenant)]);
      return EXIT_OK;
    }
    if (action === 'set') {
      const update: TenantPolicyUpdate = {};
      if (values.weight !== undefined) {
        update.weight = positiveNumber('weight', values.weight);
        if (update.weight <= 0) throw new UsageError('--weight must be greater than 0');
      }
      const max = values['max-priority'];
      if (max !== undefined) {
        if (!['high', 'normal', 'low'].includes(max)) throw new UsageError(`--max-priority must be high, normal or low (got "${max}")`);
        update.max_priority = max as JobPriority;
      }
      for (const [flag, name] of Object.entries(QUOTA_FLAGS)) {
        const value = values[flag as keyof typeof values] as string | undefined;
        if (value === undefined) continue;
        update.quotas ??= {};
        update.quotas[name] = value === 'none' ? null : positiveNumber(flag, value);
      }
      if (Object.keys(update).length === 0) throw new UsageError('tenants set needs at least one of --weight, --max-priority or a quota flag');
      show([await farm.admin().setTenant(tenant, update)]);
      return EXIT_OK;
    }
    throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
  });
}
