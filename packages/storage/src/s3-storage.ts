import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { assertSafeKey, keyFromPath, signingTimeSec, type ResultStorage } from './result-storage.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** e.g. http://minio:9000 or https://<account>.r2.cloudflarestorage.com; unset for AWS. */
  endpoint?: string;
  /**
   * The endpoint clients download from, when it differs from `endpoint` (e.g. http://minio:9000
   * inside Docker, http://localhost:9000 outside). Presigned URLs are signed for this host:
   * SigV4 covers the Host header, so rewriting a signed URL's host would break it.
   */
  publicEndpoint?: string;
  /** Needed by MinIO and most self-hosted servers. */
  forcePathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Key prefix inside the bucket (e.g. `flowfarm/`). */
  keyPrefix?: string;
  /** Presigned GET lifetime in seconds. */
  urlTtlSec?: number;
}

/** AWS S3, MinIO, Cloudflare R2 or any S3-protocol server; URLs are presigned GETs. */
export class S3Storage implements ResultStorage {
  readonly kind = 's3' as const;
  readonly client: S3Client;
  /** Signs download URLs (the same client unless a public endpoint is set; signing is offline). */
  private readonly presigner: S3Client;

  constructor(private readonly options: S3StorageOptions) {
    this.client = S3Storage.makeClient(options, options.endpoint);
    this.presigner = options.publicEndpoint ? S3Storage.makeClient(options, options.publicEndpoint) : this.client;
  }

  private static makeClient(options: S3StorageOptions, endpoint: string | undefined): S3Client {
    return new S3Client({
      region: options.region,
      endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials:
        options.accessKeyId && options.secretAccessKey
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
      // Only send/validate checksums where the protocol requires them: several S3-compatible
      // servers (older MinIO, R2 for some calls, s3rver) do not know the newer checksum headers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return `${this.options.keyPrefix ?? ''}${key}`;
  }

  async put(key: string, data: Uint8Array, contentType: string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key), Body: data, ContentType: contentType }));
  }

  async get(key: string): Promise<Uint8Array> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) }));
    if (!out.Body) throw new Error(`storage object ${key} has no body`);
    return out.Body.transformToByteArray();
  }

  async url(key: string, options: { expiresInSec?: number } = {}): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.options.bucket, Key: this.objectKey(key) });
    const expiresIn = options.expiresInSec ?? this.options.urlTtlSec ?? 3600;
    // signed at the start of the current window: the same URL for every read within it
    return getSignedUrl(this.presigner, command, { expiresIn, signingDate: new Date(signingTimeSec(Date.now(), expiresIn) * 1000) });
  }

  /** Presigned URLs of this bucket (path-style or virtual-hosted), under this farm's key prefix. */
  keyOfUrl(url: string): string | null {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    if (!parsed.searchParams.has('X-Amz-Signature')) return null;
    const segments = parsed.pathname.split('/').slice(1);
    const { bucket } = this.options;
    const inBucket = segments[0] === bucket ? segments.slice(1) : parsed.hostname.startsWith(`${bucket}.`) ? segments : null;
    const objectKey = inBucket && keyFromPath(inBucket);
    const prefix = this.options.keyPrefix ?? '';
    if (!objectKey || !objectKey.startsWith(prefix)) return null;
    return keyFromPath(objectKey.slice(prefix.length).split('/'));
  }

  async removePrefix(prefix: string): Promise<number> {
    const listed = await this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.objectKey(prefix.replace(/\/$/, '')) + '/' }));
    const objects = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (objects.length === 0) return 0;
    await this.client.send(new DeleteObjectsCommand({ Bucket: this.options.bucket, Delete: { Objects: objects, Quiet: true } }));
    return objects.length;
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
  }

  destroy(): void {
    this.client.destroy();
    if (this.presigner !== this.client) this.presigner.destroy();
  }
}
