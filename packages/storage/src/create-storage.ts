import { LocalStorage } from './local-storage.js';
import type { ResultStorage } from './result-storage.js';
import { S3Storage } from './s3-storage.js';

/** Storage settings as the apps' config schemas parse them. */
export type StorageConfig =
  | { driver: 'local'; root: string; signingSecret: string; publicBaseUrl?: string; urlTtlSec: number }
  | {
      driver: 's3';
      bucket: string;
      region: string;
      endpoint?: string;
      forcePathStyle: boolean;
      accessKeyId?: string;
      secretAccessKey?: string;
      keyPrefix?: string;
      urlTtlSec: number;
    };

export function createStorage(config: StorageConfig): ResultStorage {
  if (config.driver === 'local') return new LocalStorage(config);
  return new S3Storage(config);
}
