// STORAGE=local keeps results in a folder the API serves and every worker writes: they must
// see the same folder (one machine, or one shared volume). Without a check, a worker on
// another machine "succeeds" and every result link is a 404. Each process leaves a probe file
// with a random nonce in its folder and announces it in Redis; at start it looks for every
// other live process's probe in its own folder and refuses to start when one is missing.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { FarmKeys } from './keys.js';

interface Probe {
  nonce: string;
  role: string;
  host: string;
  dir: string;
  expires: number;
}

export class SharedFolderError extends Error {
  override readonly name = 'SharedFolderError';
}

export interface SharedFolderProbe {
  /** Removes this process's probe (file and Redis entry); idempotent. */
  close(): Promise<void>;
}

const TTL_MS = 60_000;

/**
 * Checks that `folder` is the folder every other live farm process uses, then announces this
 * process's own probe (refreshed until close). Throws SharedFolderError naming both folders.
 */
export async function startSharedFolderProbe(redis: Redis, keys: FarmKeys, folder: string, role: 'api' | 'worker', processId: string): Promise<SharedFolderProbe> {
  const probes = path.join(folder, '.probes');
  const others = await redis.hgetall(keys.storageProbes);
  const now = Date.now();
  for (const [id, raw] of Object.entries(others)) {
    const probe = JSON.parse(raw) as Probe;
    if (probe.expires < now) {
      await redis.hdel(keys.storageProbes, id);
      continue;
    }
    let seen = '';
    try {
      seen = readFileSync(path.join(probes, id), 'utf8');
    } catch {
      // missing: handled below
    }
    if (seen !== probe.nonce) {
      throw new SharedFolderError(
        `STORAGE=local needs the API and every worker to share one storage folder, but this ${role} (${os.hostname()}, ${folder}) ` +
          `does not see the files of ${probe.role} ${id} (${probe.host}, ${probe.dir}). Give them the same DATA_DIR on one machine or a shared volume, or use STORAGE=s3.`,
      );
    }
  }

  const nonce = randomBytes(12).toString('base64url');
  mkdirSync(probes, { recursive: true });
  writeFileSync(path.join(probes, processId), nonce);
  const announce = () =>
    redis.hset(keys.storageProbes, processId, JSON.stringify({ nonce, role, host: os.hostname(), dir: folder, expires: Date.now() + TTL_MS } satisfies Probe));
  await announce();
  const timer = setInterval(() => void announce().catch(() => {}), TTL_MS / 3);
  timer.unref();
  let closing: Promise<void> | null = null;
  return {
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer);
        await redis.hdel(keys.storageProbes, processId).catch(() => {});
        rmSync(path.join(probes, processId), { force: true });
      })()),
  };
}
