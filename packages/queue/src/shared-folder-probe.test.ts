import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SharedFolderError, farmKeys, startSharedFolderProbe } from './index.js';

const prefix = `ff-test-${randomUUID()}`;
const keys = farmKeys(prefix);
const redis = new Redis('redis://127.0.0.1:6379');
const dirs: string[] = [];
const folder = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ff-probe-'));
  dirs.push(dir);
  return dir;
};

afterAll(async () => {
  await redis.del(keys.storageProbes);
  redis.disconnect();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('shared local-storage folder check', () => {
  it('lets processes that share the folder start, and refuses one whose folder is elsewhere, naming both', async () => {
    const shared = folder();
    const api = await startSharedFolderProbe(redis, keys, shared, 'api', 'api-1');
    const worker = await startSharedFolderProbe(redis, keys, shared, 'worker', 'worker-1');
    const elsewhere = folder();
    const refused = await startSharedFolderProbe(redis, keys, elsewhere, 'worker', 'worker-2').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(SharedFolderError);
    expect((refused as Error).message).toContain(elsewhere);
    expect((refused as Error).message).toContain(shared);
    expect((refused as Error).message).toContain('STORAGE=s3');

    // Once the others are gone (closed), the folder is free to be used alone.
    await api.close();
    await worker.close();
    expect(existsSync(path.join(shared, '.probes', 'api-1'))).toBe(false);
    const alone = await startSharedFolderProbe(redis, keys, elsewhere, 'worker', 'worker-2');
    await alone.close();
  });
});
