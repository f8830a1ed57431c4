import { describe, expect, it } from 'vitest';
import { OTHER_TENANTS, setTenantLabelCap, tenantLabel } from './tenant-labels.js';

describe('tenant labels', () => {
  it('labels the first N tenants by name and every later one as "other"', () => {
    setTenantLabelCap(2);
    expect(tenantLabel('t-a')).toBe('t-a');
    expect(tenantLabel('t-b')).toBe('t-b');
    expect(tenantLabel('t-c')).toBe(OTHER_TENANTS);
    expect(tenantLabel('t-a')).toBe('t-a');
    // a tenant called "other" never gets a label of its own
    expect(tenantLabel('other')).toBe(OTHER_TENANTS);
  });
});
