// When to try a webhook delivery again: the Standard Webhooks example schedule, scaled by
// WEBHOOK_RETRY_SCALE (1 in production; tests use ~1/10000 so a day runs in seconds), with
// jitter so retries of many deliveries to one recovering receiver do not arrive together.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Delay before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. */
export const STANDARD_WEBHOOKS_SCHEDULE_MS: readonly number[] = [
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  14 * HOUR,
  20 * HOUR,
  24 * HOUR,
];

/** Attempts a delivery gets in all (the first one included). */
export const MAX_DELIVERY_ATTEMPTS = STANDARD_WEBHOOKS_SCHEDULE_MS.length;

/** A receiver's Retry-After is honoured up to this long (unscaled: it is the receiver's wish). */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

export interface RetryOptions {
  /** WEBHOOK_RETRY_SCALE: multiplies every scheduled delay. */
  scale: number;
  /** Fraction of the delay added or removed at random (default 0.1 = ±10 %). */
  jitter?: number;
  random?: () => number;
}

/**
 * Delay before the next attempt after `attemptsMade` attempts failed, or null when the
 * schedule is used up. `retryAfterMs` (from a 429/503) pushes the next attempt later, never
 * sooner than the schedule.
 */
export function nextRetryDelayMs(attemptsMade: number, options: RetryOptions, retryAfterMs: number | null = null): number | null {
  if (attemptsMade >= MAX_DELIVERY_ATTEMPTS) return null;
  const base = STANDARD_WEBHOOKS_SCHEDULE_MS[attemptsMade] * options.scale;
  const jitter = options.jitter ?? 0.1;
  const random = options.random ?? Math.random;
  const scheduled = Math.round(base * (1 + jitter * (2 * random() - 1)));
  if (retryAfterMs === null) return scheduled;
  return Math.max(scheduled, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** Parses a Retry-After header (delta-seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(header: string | undefined, now: number = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * SECOND;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
