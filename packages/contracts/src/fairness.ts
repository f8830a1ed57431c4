// Schemas of fair scheduling: job priority classes, the admin-set tenant policy (weight,
// highest priority, quotas), the quota error and usage reports. docs/fair-scheduling.md explains
// how the farm uses them.
import { z } from 'zod';
import { AppError } from './errors.js';
import { JOB_PRIORITIES } from './plain.js';

export { JOB_PRIORITIES, MAX_START_TIMEOUT_SECONDS, MIN_CANCEL_AFTER_SECONDS, parseCancelAfter } from './plain.js';
export const JobPriority = z.enum(JOB_PRIORITIES);
export type JobPriority = z.infer<typeof JobPriority>;

/** 0 for high, 1 normal, 2 low: the order classes run in. */
export const priorityRank = (p: JobPriority): number => JOB_PRIORITIES.indexOf(p);

const limit = (what: string) =>
  z.number().min(0).nullable().optional().describe(`${what}; null or absent: unlimited`);

/** Per-tenant quotas; periods are UTC days and UTC calendar months. */
export const TenantQuotas = z
  .object({
    daily_images: limit('images per UTC day'),
    daily_megapixel_steps: limit('megapixel-steps (width × height × steps / 10⁶ × images) per UTC day'),
    monthly_images: limit('images per UTC calendar month'),
    monthly_megapixel_steps: limit('megapixel-steps per UTC calendar month'),
  })
  .strict();
export type TenantQuotas = z.infer<typeof TenantQuotas>;

/** What an operator sets per tenant (`PUT /v1/admin/tenants/{tenant}`); absent fields keep their value. */
export const TenantPolicyUpdate = z
  .object({
    weight: z.number().gt(0).max(1000).optional().describe('share of the farm when tenants compete, relative to other tenants (default 1)'),
    max_priority: JobPriority.optional().describe("highest `priority` the tenant's jobs may ask for (default normal)"),
    quotas: TenantQuotas.optional(),
  })
  .strict();
export type TenantPolicyUpdate = z.infer<typeof TenantPolicyUpdate>;

export const TenantPolicy = z.object({
  tenant: z.string(),
  weight: z.number(),
  max_priority: JobPriority,
  quotas: z.object({
    daily_images: z.number().nullable(),
    daily_megapixel_steps: z.number().nullable(),
    monthly_images: z.number().nullable(),
    monthly_megapixel_steps: z.number().nullable(),
  }),
});
export type TenantPolicy = z.infer<typeof TenantPolicy>;

export const TenantPolicyList = z.object({ data: z.array(TenantPolicy) });
export type TenantPolicyList = z.infer<typeof TenantPolicyList>;

export const QuotaName = z.enum(['daily_images', 'daily_megapixel_steps', 'monthly_images', 'monthly_megapixel_steps']);
export type QuotaName = z.infer<typeof QuotaName>;

/** What a 429 `quota_exceeded` says: which quota, its limit, the usage so far, what the job asked, and when it resets. */
export interface QuotaBreach {
  quota: QuotaName;
  limit: number;
  used: number;
  requested: number;
  /** Epoch ms of the period's end (next UTC midnight or first of the next month). */
  resetsAtMs: number;
}

export class QuotaExceededError extends AppError {
  override readonly name = 'QuotaExceededError';
  /** `subject`: what asked (a job, or a dataset that reserves its whole set at create). */
  constructor(breach: QuotaBreach, now = Date.now(), subject = 'this job') {
    const unit = breach.quota.endsWith('images') ? 'images' : 'megapixel-steps';
    const resets = new Date(breach.resetsAtMs).toISOString();
    super('quota_exceeded', 429, `${breach.quota} quota: ${breach.used} of ${breach.limit} ${unit} used, ${subject} needs ${breach.requested}; resets ${resets}`, {
      retryAfter: Math.max(1, Math.ceil((breach.resetsAtMs - now) / 1000)),
      extra: { quota: breach.quota, limit: breach.limit, used: breach.used, requested: breach.requested, resets_at: resets },
    });
  }
}

/** One line of a usage report: the figures of succeeded jobs in one group. */
export const UsageRow = z.object({
  date: z.string().optional().describe('UTC day (group_by=day)'),
  model: z.string().optional().describe('model (group_by=model)'),
  tenant: z.string().optional().describe('tenant (admin reports)'),
  jobs: z.number().int(),
  images: z.number().int(),
  megapixel_steps: z.number(),
  gpu_seconds: z.number().describe('seconds the job held a worker slot while rendering (a batch shares its time among its jobs)'),
});
export type UsageRow = z.infer<typeof UsageRow>;

export const UsageGroupBy = z.enum(['day', 'model']);
export type UsageGroupBy = z.infer<typeof UsageGroupBy>;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'a UTC day as YYYY-MM-DD' });

/** Query of `GET /v1/usage` and `GET /v1/admin/usage`. */
export const UsageQuery = z
  .object({
    from: day.optional().describe('first UTC day, inclusive (default: 30 days before `to`)'),
    to: day.optional().describe('last UTC day, inclusive (default: today)'),
    group_by: UsageGroupBy.default('day'),
    format: z.enum(['json', 'csv']).optional().describe('csv: the same rows as text/csv (or send Accept: text/csv)'),
    tenant: z.string().max(64).optional().describe('admin report: only this tenant'),
  })
  .strict();
export type UsageQuery = z.infer<typeof UsageQuery>;

export const UsageReport = z.object({
  from: z.string(),
  to: z.string(),
  group_by: UsageGroupBy,
  data: z.array(UsageRow),
  totals: UsageRow,
});
export type UsageReport = z.infer<typeof UsageReport>;

const Reserved = z.object({ images: z.number(), megapixel_steps: z.number() });

/** `GET /v1/usage` as JSON: the report plus the tenant's policy and what it has reserved in the current periods. */
export const TenantUsage = UsageReport.extend({
  tenant: z.string(),
  weight: z.number(),
  max_priority: JobPriority,
  quotas: TenantPolicy.shape.quotas,
  reserved: z
    .object({ day: Reserved, month: Reserved, day_resets_at: z.iso.datetime(), month_resets_at: z.iso.datetime() })
    .describe('images and megapixel-steps of queued, running and succeeded jobs in the current UTC day and month (what quotas count)'),
});
export type TenantUsage = z.infer<typeof TenantUsage>;
