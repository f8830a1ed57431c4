// Named schemas of fair scheduling (the routes are declared in routes/usage.ts and routes/ops.ts).
import type { z } from 'zod';
import { JobPriority, TenantPolicy, TenantPolicyList, TenantPolicyUpdate, TenantQuotas, TenantUsage, UsageReport, UsageRow } from './fairness.js';

export const FAIRNESS_SCHEMAS: Record<string, z.ZodType> = { JobPriority, TenantPolicy, TenantPolicyList, TenantPolicyUpdate, TenantQuotas, TenantUsage, UsageReport, UsageRow };
