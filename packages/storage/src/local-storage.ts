import { createHmac, timingSafeEqual } from 'node:crypto';
import { access, mkdir, readFile, readdir, rename, rm, writeFile, constants } from 'node:fs/promises';
import path from 'node:path';
import { assertSafeKey, keyFromPath, signingTimeSec, type ResultStorage } from './result-storage.js';

export interface LocalStorageOptions {
  /** Folder that holds the files. */
  root: string;
  /** HMAC key for signed URLs; every API and worker process of a farm must share it. */
  signingSecret: string;
  /** Prepended to `/files/...` URLs (e.g. `https://farm.example.com`); '' gives relative URLs. */
  publicBaseUrl?: string;
  /** Default URL lifetime in seconds. */
  urlTtlSec?: number;
  now?: () => number;
}

export type SignatureCheck = 'ok' | 'expired' | 'invalid';

/** Files on local disk, served by the API under `/files/<key>?expires=…&signature=…`. */
export class LocalStorage implements ResultStorage {
  readonly kind = 'local' as const;
  private readonly now: () => number;

  constructor(private readonly options: LocalStorageOptions) {
    if (!options.signingSecret) throw new Error('local storage needs a signing secret');
    this.now = options.now ?? Date.now;
  }

  /** Absolute folder that holds every key's file. */
  get root(): string {
    return this.options.root;
  }

  /** Absolute path of a key's file. */
  filePath(key: string): string {
    assertSafeKey(key);
    return path.join(this.options.root, ...key.split('/'));
  }

  async put(key: string, data: Uint8Array, _contentType: string): Promise<void> {
    const file = this.filePath(key);
    await mkdir(path.dirname(file), { recursive: true });
    // Write then rename, so a reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, file);
  }

  async get(key: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.filePath(key)));
  }

  async url(key: string, options: { expiresInSec?: number } = {}): Promise<string> {
    assertSafeKey(key);
    const ttl = options.expiresInSec ?? this.options.urlTtlSec ?? 3600;
    // signed at the start of the current window: the same URL for every read within it
    const expires = signingTimeSec(this.now(), ttl) + ttl;
    const signature = this.sign(key, expires);
    const encoded = key.split('/').map(encodeURIComponent).join('/');
    return `${this.options.publicBaseUrl ?? ''}/files/${encoded}?expires=${expires}&signature=${signature}`;
  }

  /** Only links this farm signed (and not yet expired) name a file: the signature is the proof. */
  keyOfUrl(url: string): string | null {
    let parsed: URL;
    try {
      parsed = new URL(url, 'http://farm.invalid');
    } catch {
      return null;
    }
    if (!parsed.pathname.startsWith('/files/')) return null;
    const key = keyFromPath(parsed.pathname.slice('/files/'.length).split('/'));
    if (!key) return null;
    return this.verify(key, parsed.searchParams.get('expires') ?? undefined, parsed.searchParams.get('signature') ?? undefined) === 'ok' ? key : null;
  }

  /** Checks a URL's `expires` and `signature` for a key. */
  verify(key: string, expires: unknown, signature: unknown): SignatureCheck {
    if (typeof expires !== 'string' || typeof signature !== 'string' || !/^\d+$/.test(expires)) return 'invalid';
    const expected = Buffer.from(this.sign(key, Number(expires)));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
    return Number(expires) * 1000 < this.now() ? 'expired' : 'ok';
  }

  async removePrefix(prefix: string): Promise<number> {
    const dir = this.filePath(prefix.replace(/\/$/, ''));
    let count = 0;
    try {
      count = (await readdir(dir)).length;
    } catch {
      return 0;
    }
    await rm(dir, { recursive: true, force: true });
    return count;
  }

  async check(): Promise<void> {
    await mkdir(this.options.root, { recursive: true });
    await access(this.options.root, constants.W_OK);
  }

  private sign(key: string, expires: number): string {
    return createHmac('sha256', this.options.signingSecret).update(`${key}\n${expires}`).digest('base64url');
  }
}
