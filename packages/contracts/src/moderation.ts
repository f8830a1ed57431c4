import { z } from 'zod';

/** BFL's scale: 0 is the strictest, 6 the most permissive; jobs that name none get this. */
export const DEFAULT_SAFETY_TOLERANCE = 2;
export const MAX_SAFETY_TOLERANCE = 6;
/** A rule with this `allowed_from` blocks at every tolerance. */
export const ALWAYS_BLOCKED = 7;

const allowedFrom = z
  .number()
  .int()
  .min(0)
  .max(ALWAYS_BLOCKED)
  .default(ALWAYS_BLOCKED)
  .describe('lowest safety_tolerance at which the rule lets a prompt through (7: never)');

export const TermRule = z
  .object({
    term: z
      .string()
      .trim()
      .min(2)
      .max(100)
      .regex(/^\*?[^*]+\*?$/, 'a term may only have * at its start or end')
      .describe('word or phrase; "porn*" also matches words that start with it, "*porn" words that end with it'),
    category: z.string().max(40).default('blocked').describe('shown to the user as the reason'),
    allowed_from: allowedFrom,
  })
  .strict();
export type TermRule = z.infer<typeof TermRule>;

export const PatternRule = z
  .object({
    pattern: z
      .string()
      .min(1)
      .max(300)
      .refine((source) => {
        try {
          new RegExp(source, 'u');
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression')
      .describe('JavaScript regular expression (flags iu), matched against the prompt folded to plain lower-case Latin'),
    category: z.string().max(40).default('blocked'),
    allowed_from: allowedFrom,
  })
  .strict();
export type PatternRule = z.infer<typeof PatternRule>;

/** A moderation policy: the farm's global one, or a tenant's (added to the global one). */
export const ModerationPolicy = z
  .object({
    terms: z.array(TermRule).max(5000).default([]),
    patterns: z.array(PatternRule).max(200).default([]),
    max_safety_tolerance: z
      .number()
      .int()
      .min(0)
      .max(MAX_SAFETY_TOLERANCE)
      .optional()
      .describe('highest safety_tolerance a job may use; higher requests are lowered to it (the global value applies when a tenant sets none)'),
  })
  .strict();
export type ModerationPolicy = z.infer<typeof ModerationPolicy>;
export type ModerationPolicyInput = z.input<typeof ModerationPolicy>;

/** Answer of `GET /v1/admin/moderation/policy`: the global policy and the tenants that have their own. */
export const GlobalModerationPolicy = ModerationPolicy.extend({
  builtin: z.boolean().describe('true while the built-in default is in force (no policy stored)'),
  tenants: z.array(z.string()).optional(),
});
export type GlobalModerationPolicy = z.infer<typeof GlobalModerationPolicy>;

export const TenantModerationPolicy = ModerationPolicy.extend({ tenant: z.string() });
export type TenantModerationPolicy = z.infer<typeof TenantModerationPolicy>;

/** Body of `POST /v1/admin/moderation/check` (a dry run). */
export const ModerationCheckRequest = z
  .object({
    prompt: z.string().min(1).max(2000),
    tenant: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'tenant must be 1-64 of A-Z a-z 0-9 _ . -').default('-').describe('check with this tenant\'s policy and cap too'),
    safety_tolerance: z.number().int().min(0).max(MAX_SAFETY_TOLERANCE).optional(),
  })
  .strict();
export type ModerationCheckRequest = z.input<typeof ModerationCheckRequest>;

export const ModerationCheckResult = z.object({
  blocked: z.boolean(),
  reason: z.string().optional(),
  rule: z
    .object({ kind: z.enum(['term', 'pattern']), value: z.string(), category: z.string(), scope: z.enum(['global', 'tenant']) })
    .optional()
    .describe('the rule that matched (operators only)'),
  safety_tolerance: z.number().int().describe('the tolerance the check ran with'),
});
export type ModerationCheckResult = z.infer<typeof ModerationCheckResult>;

export const emptyPolicy = (): ModerationPolicy => ({ terms: [], patterns: [] });

/** The tolerance a job runs with: what it asked for (or the default), lowered to the tenant's cap. */
export function effectiveTolerance(requested: number | undefined, tenant: ModerationPolicy, global: ModerationPolicy): number {
  const cap = tenant.max_safety_tolerance ?? global.max_safety_tolerance ?? MAX_SAFETY_TOLERANCE;
  return Math.min(requested ?? DEFAULT_SAFETY_TOLERANCE, cap);
}

/** One audit-log entry (`GET /v1/admin/audit`): who submitted what, from where, and the moderation outcome. */
export const AuditEntry = z.object({
  id: z.string().describe('entry id; pass as `before` for the next page'),
  at: z.string(),
  tenant: z.string(),
  key_id: z.string().describe('id of the API key used (never the key)'),
  client: z.string().describe('client address as the API saw it'),
  job_id: z.string(),
  model: z.string(),
  outcome: z.enum(['allowed', 'moderated']),
  stage: z.enum(['prompt', 'output']).optional(),
  reason: z.string().optional(),
  safety_tolerance: z.number().int().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditList = z.object({
  data: z.array(AuditEntry),
  next_before: z.string().nullable(),
  retention_seconds: z.number().int(),
});
export type AuditList = z.infer<typeof AuditList>;
