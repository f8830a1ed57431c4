export { assertSafeKey, outputKey, type ResultStorage } from './result-storage.js';
export { LocalStorage, type LocalStorageOptions, type SignatureCheck } from './local-storage.js';
export { S3Storage, type S3StorageOptions } from './s3-storage.js';
export { createStorage, storageConfigFromEnv, type StorageConfig, type StorageEnv } from './create-storage.js';
export { loadOrCreateSigningSecret } from './signing-secret.js';
