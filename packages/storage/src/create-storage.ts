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
      publicEndpoint?: string;
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

/** The farm's shared storage variables (see farmEnvSchema in @flowfarm/contracts). */
export interface StorageEnv {
  STORAGE: 'local' | 's3';
  DATA_DIR: string;
  PUBLIC_URL?: string;
  URL_TTL_SECONDS: number;
  S3_BUCKET?: string;
  S3_REGION: string;
  S3_ENDPOINT?: string;
  S3_PUBLIC_ENDPOINT?: string;
  S3_FORCE_PATH_STYLE: boolean;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
  S3_KEY_PREFIX: string;
}

/** Storage settings from the env; `signingSecret` is the local driver's key (FILES_SIGNING_SECRET or generated). */
export function storageConfigFromEnv(env: StorageEnv, signingSecret: string, publicBaseUrl = env.PUBLIC_URL): StorageConfig {
  if (env.STORAGE === 's3') {
    if (!env.S3_BUCKET) throw new Error('STORAGE=s3 needs S3_BUCKET');
    return {
      driver: 's3',
      bucket: env.S3_BUCKET,
      region: env.S3_REGION,
      endpoint: env.S3_ENDPOINT,
      publicEndpoint: env.S3_PUBLIC_ENDPOINT,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      keyPrefix: env.S3_KEY_PREFIX,
      urlTtlSec: env.URL_TTL_SECONDS,
    };
  }
  return { driver: 'local', root: `${env.DATA_DIR.replace(/\/$/, '')}/files`, signingSecret, publicBaseUrl, urlTtlSec: env.URL_TTL_SECONDS };
}
