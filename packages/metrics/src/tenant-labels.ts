// Per-tenant metrics with bounded cardinality: a farm with thousands of tenants must not create
// thousands of series. Each process gives its own label to the first N tenants it counts and
// folds the rest into "other" (N = METRICS_TENANT_LABELS); exact per-tenant figures are in the
// usage API, which reads the metered records.
import { tenantGpuSeconds, tenantImages, tenantMegapixelSteps } from './metrics.js';

/** Label of every tenant past the cap. */
export const OTHER_TENANTS = 'other';

let cap = 20;
const labelled = new Set<string>();

/** How many tenants get their own label in this process (set once at start from the config). */
export function setTenantLabelCap(n: number): void {
  cap = Math.max(0, n);
}

/** The tenant's label: its name while under the cap (or already labelled), else "other". */
export function tenantLabel(tenant: string): string {
  if (labelled.has(tenant)) return tenant;
  if (labelled.size < cap && tenant !== OTHER_TENANTS) {
    labelled.add(tenant);
    return tenant;
  }
  return OTHER_TENANTS;
}

/** Counts one succeeded job's usage on the per-tenant counters. */
export function countTenantUsage(tenant: string, usage: { images: number; megapixelSteps: number; renderSeconds: number }): void {
  const labels = { tenant: tenantLabel(tenant) };
  tenantImages.inc(labels, usage.images);
  tenantMegapixelSteps.inc(labels, usage.megapixelSteps);
  tenantGpuSeconds.inc(labels, usage.renderSeconds);
}
