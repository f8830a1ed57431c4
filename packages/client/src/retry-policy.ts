// When and how long to wait before repeating a request the farm pushed back on.

export interface RetryOptions {
  /** Extra attempts after the first one (default 3). 0 disables retries. */
  maxRetries?: number;
  /** First backoff delay in ms, doubled each attempt (default 500). */
  baseDelayMs?: number;
  /** Longest single wait in ms, also caps Retry-After (default 30 000). */
  maxDelayMs?: number;
}

/** Statuses that mean "not now" rather than "no": the request can be sent again unchanged. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 503;
}

/** Parses `Retry-After` (delta-seconds or an HTTP date) into seconds, or undefined. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Delay before retry number `attempt` (0-based): Retry-After when given, else jittered backoff. */
export function retryDelayMs(attempt: number, retryAfterSeconds: number | undefined, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  if (retryAfterSeconds !== undefined) return Math.min(retryAfterSeconds * 1000, max);
  const exponential = base * 2 ** attempt;
  // Full jitter keeps many clients that were refused together from returning together.
  return Math.min(max, exponential / 2 + Math.random() * (exponential / 2));
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
