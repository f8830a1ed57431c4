// A real S3-protocol server (s3rver) on a random loopback port, for tests. It does not check
// presigned signatures, so signature tests belong to the local driver.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { S3StorageOptions } from '../s3-storage.js';

const require = createRequire(import.meta.url);

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverInstance;

export interface S3TestServer {
  endpoint: string;
  /** Options for S3Storage pointing at this server. */
  storageOptions: S3StorageOptions;
  close(): Promise<void>;
}

export async function startS3TestServer(bucket = 'flowfarm-results'): Promise<S3TestServer> {
  const S3rver = require('s3rver') as S3rverCtor;
  const directory = await mkdtemp(path.join(tmpdir(), 'ff-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | null = null;
  return {
    endpoint,
    storageOptions: {
      bucket,
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
    },
    close() {
      return (closing ??= (async () => {
        await server.close();
        await rm(directory, { recursive: true, force: true });
      })());
    },
  };
}
