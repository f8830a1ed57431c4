import { describe, expect, it } from 'vitest';
import { errorFromResponse, FlowfarmError } from './errors.js';
import { isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry-policy.js';

describe('retry policy', () => {
  it('retries only "not now" answers', () => {
    expect([429, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 404, 409, 422, 500].some(isRetryableStatus)).toBe(false);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now)).toBe(10);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('waits what the server asked, capped, and backs off exponentially otherwise', () => {
    expect(retryDelayMs(0, 2)).toBe(2000);
    expect(retryDelayMs(0, 3600, { maxDelayMs: 5000 })).toBe(5000);
    const third = retryDelayMs(2, undefined, { baseDelayMs: 100 });
    expect(third).toBeGreaterThanOrEqual(200);
    expect(third).toBeLessThanOrEqual(400);
  });
});

describe('errorFromResponse', () => {
  it('keeps the problem document, its code and field paths', () => {
    const body = JSON.stringify({ type: 'x', title: 'Unprocessable Content', status: 422, code: 'validation_failed', detail: 'bad', errors: [{ path: 'width', message: 'must be a multiple of 16' }] });
    const error = errorFromResponse(422, body);
    expect(error).toBeInstanceOf(FlowfarmError);
    expect(error.status).toBe(422);
    expect(error.code).toBe('validation_failed');
    expect(error.problem?.errors?.[0]?.path).toBe('width');
  });

  it('still gives a usable error for a non-JSON body from a proxy', () => {
    const error = errorFromResponse(502, '<html>Bad Gateway</html>');
    expect(error.code).toBe('http_502');
    expect(error.message).toContain('502');
  });
});
