import { describe, expect, it } from 'vitest';
import { MAX_DELIVERY_ATTEMPTS, nextRetryDelayMs, parseRetryAfter } from './retry-schedule.js';

const noJitter = { scale: 1, jitter: 0 };

describe('retry schedule', () => {
  it('follows the Standard Webhooks schedule and stops after the last attempt', () => {
    const delays = Array.from({ length: MAX_DELIVERY_ATTEMPTS - 1 }, (_, i) => nextRetryDelayMs(i + 1, noJitter));
    expect(delays.map((d) => d! / 1000)).toEqual([5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]);
    expect(nextRetryDelayMs(MAX_DELIVERY_ATTEMPTS, noJitter)).toBeNull();
  });

  it('scales the schedule and keeps jitter within ±10 %', () => {
    expect(nextRetryDelayMs(1, { scale: 0.001, jitter: 0 })).toBe(5);
    for (const random of [0, 0.5, 0.999]) {
      const d = nextRetryDelayMs(2, { scale: 1, random: () => random })!;
      expect(d).toBeGreaterThanOrEqual(270_000);
      expect(d).toBeLessThanOrEqual(330_000);
    }
  });

  it('lets Retry-After push the next try later, never earlier, capped at a day', () => {
    expect(nextRetryDelayMs(1, noJitter, 60_000)).toBe(60_000);
    expect(nextRetryDelayMs(2, noJitter, 1_000)).toBe(300_000);
    expect(nextRetryDelayMs(1, noJitter, 10 * 86_400_000)).toBe(86_400_000);
  });

  it('parses Retry-After seconds and dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
