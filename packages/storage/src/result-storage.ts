/** Where finished images go. Keys look like `<tenant>/<job>/<index>.<ext>`. */
export interface ResultStorage {
  readonly kind: 'local' | 's3';
  /** Stores a file; rejects (so the attempt fails and is retried) when it cannot. */
  put(key: string, data: Uint8Array, contentType: string): Promise<void>;
  /** Reads a stored file back (a job's input image); rejects when it is missing or unreachable. */
  get(key: string): Promise<Uint8Array>;
  /** A download URL that expires (signed). Local URLs are relative unless a public base URL is set. */
  url(key: string, options?: { expiresInSec?: number }): Promise<string>;
  /**
   * The key of a file from a download URL this storage issued (a result URL handed back as a
   * job's starting image), or null when the URL is not one of this storage's.
   */
  keyOfUrl(url: string): string | null;
  /** Removes every file under `prefix` (e.g. `tenant/job/`); returns how many. */
  removePrefix(prefix: string): Promise<number>;
  /** Rejects when the storage cannot be reached (for /readyz). */
  check(): Promise<void>;
}

/** Rejects keys that could escape their folder or break URLs. */
export function assertSafeKey(key: string): void {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`invalid storage key: ${key}`);
  }
}

/** `<tenant>/<job>/<index>.<ext>` */
export function outputKey(tenant: string, jobId: string, index: number, ext = 'png'): string {
  return `${tenant}/${jobId}/${index}.${ext}`;
}

/**
 * When a URL asked for at `nowMs` is signed: the start of the current window of a quarter of its
 * lifetime. Every read within one window gets the same URL (so browsers and CDNs can cache it),
 * and a URL handed out is still valid for at least three quarters of `ttlSec`.
 */
export function signingTimeSec(nowMs: number, ttlSec: number): number {
  const window = Math.max(1, Math.floor(ttlSec / 4));
  return Math.floor(nowMs / 1000 / window) * window;
}

/** The key from URL path segments (each percent-decoded), or null when they do not form a safe key. */
export function keyFromPath(segments: string[]): string | null {
  try {
    const key = segments.map(decodeURIComponent).join('/');
    assertSafeKey(key);
    return key;
  } catch {
    return null;
  }
}
