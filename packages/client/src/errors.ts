// Every failure the SDK reports is a FlowfarmError, so callers need one `catch` branch:
// HTTP errors carry the server's RFC 9457 problem document; transport failures and timeouts
// use status 0 and a stable code of their own.

import type { Problem } from './contract-types.js';

export const UNREACHABLE_CODE = 'unreachable';
export const TIMEOUT_CODE = 'timeout';
export const ABORTED_CODE = 'aborted';

/** An error answer from the farm, or a failure to reach it (status 0). */
export class FlowfarmError extends Error {
  override readonly name: string = 'FlowfarmError';
  /** HTTP status, or 0 when no answer came back. */
  readonly status: number;
  /** Stable machine-readable code, e.g. `validation_failed`, `rate_limited`, `unreachable`. */
  readonly code: string;
  /** The problem document the farm answered with, when there was one. */
  readonly problem: Problem | undefined;
  /** Seconds the farm asked us to wait (429/503 `Retry-After`), when given. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { problem?: Problem; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.problem = options.problem;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Builds the error for a non-2xx answer from its (possibly non-JSON) body. */
export function errorFromResponse(status: number, bodyText: string, retryAfterSeconds?: number): FlowfarmError {
  let problem: Problem | undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) problem = parsed as Problem;
  } catch {
    problem = undefined;
  }
  const code = typeof problem?.code === 'string' ? problem.code : `http_${status}`;
  const text = problem?.detail ?? problem?.title ?? (bodyText.slice(0, 200) || `HTTP ${status}`);
  return new FlowfarmError(status, code, `${text} (HTTP ${status})`, { problem, retryAfterSeconds });
}
