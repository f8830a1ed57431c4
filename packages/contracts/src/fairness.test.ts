import { describe, expect, it } from 'vitest';
import { JobInput, QuotaExceededError, TenantPolicyUpdate, parseCancelAfter } from './index.js';

describe('Cancel-After', () => {
  it('reads durations as Replicate defines them: seconds by default, h/m/s combined', () => {
    expect(parseCancelAfter('30')).toBe(30);
    expect(parseCancelAfter('90s')).toBe(90);
    expect(parseCancelAfter('5m')).toBe(300);
    expect(parseCancelAfter('1h30m45s')).toBe(5445);
    expect(parseCancelAfter(' 2h ')).toBe(7200);
    for (const bad of ['', 'm', '5 m', '1.5m', '-5', '5x', '30s5m', 'PT5M']) expect(parseCancelAfter(bad), bad).toBeNull();
  });
});

describe('fair scheduling schemas', () => {
  it('takes priority and start_timeout in a job, and refuses values outside their range', () => {
    expect(JobInput.safeParse({ prompt: 'x', priority: 'high', start_timeout: 30 }).success).toBe(true);
    expect(JobInput.safeParse({ prompt: 'x', priority: 'urgent' }).success).toBe(false);
    expect(JobInput.safeParse({ prompt: 'x', start_timeout: 0 }).success).toBe(false);
    expect(JobInput.safeParse({ prompt: 'x', start_timeout: 1.5 }).success).toBe(false);
  });

  it('takes a tenant policy update with nullable quotas and a positive weight', () => {
    expect(TenantPolicyUpdate.safeParse({ weight: 3, quotas: { daily_images: 100, monthly_megapixel_steps: null } }).success).toBe(true);
    expect(TenantPolicyUpdate.safeParse({ weight: 0 }).success).toBe(false);
    expect(TenantPolicyUpdate.safeParse({ quotas: { hourly_images: 1 } }).success).toBe(false);
  });

  it('says in a 429 which quota, its limit, the usage and when it resets', () => {
    const now = Date.UTC(2026, 11, 1, 18, 0, 0);
    const error = new QuotaExceededError({ quota: 'daily_images', limit: 10, used: 9, requested: 2, resetsAtMs: Date.UTC(2026, 11, 2) }, now);
    expect(error.status).toBe(429);
    expect(error.code).toBe('quota_exceeded');
    expect(error.retryAfter).toBe(6 * 3600);
    expect(error.extra).toEqual({ quota: 'daily_images', limit: 10, used: 9, requested: 2, resets_at: '2026-12-02T00:00:00.000Z' });
  });
});
