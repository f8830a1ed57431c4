export { assertSafeKey, outputKey, type ResultStorage } from './result-storage.js';
export { LocalStorage, type LocalStorageOptions, type SignatureCheck } from './local-storage.js';
export { S3Storage, type S3StorageOptions } from './s3-storage.js';
export { createStorage, type StorageConfig } from './create-storage.js';
