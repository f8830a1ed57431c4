// Signs and watermarks every output: the render request asks the pipeline to embed a 32-bit
// watermark per image (in the pixels, before encoding), and after rendering each PNG gets a
// signed provenance record (job, tenant, model file hashes, pipeline version, every parameter,
// pixel hash) in an iTXt chunk (JPEG: an APP15 segment; WebP: a RIFF chunk). The watermark payload is indexed in Redis so a file whose
// metadata was stripped can still be traced to its job.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobRecord, OutputIndex, RenderJobData } from '@flowfarm/queue';
import {
  ProvenanceKeyRegistry,
  WATERMARK_SCHEME,
  decodeImageRgb,
  embedContainerProvenance,
  embedPngProvenance,
  loadOrCreateSigningKey,
  readPngChunks,
  signingKeyFromPem,
  watermarkIndexKey,
  watermarkPayloadFor,
  type SignedProvenance,
  type SigningKey,
} from '@flowfarm/trust';

export interface ProtectionConfig {
  PROVENANCE: boolean;
  WATERMARK: boolean;
  PROVENANCE_SIGNING_KEY?: string;
  DATA_DIR: string;
  REDIS_PREFIX: string;
  JOB_RETENTION_SECONDS: number;
}

export interface ProtectedOutput {
  data: Uint8Array;
  provenance?: SignedProvenance;
  /** watermark payload (8 hex digits) */
  watermark?: string;
  /** watermark → job index entry, set when the job succeeds */
  index?: OutputIndex;
}

interface ModelFiles {
  name: string;
  dir: string;
  manifest: { files: Record<string, string | undefined>; tokenizers?: Record<string, string> };
}

const hex32 = (n: number) => n.toString(16).padStart(8, '0');

/** A tEXt value of a PNG, without decoding its pixels. */
function pngText(png: Uint8Array, keyword: string): string | undefined {
  for (const chunk of readPngChunks(png)) {
    if (chunk.type !== 'tEXt') continue;
    const zero = chunk.data.indexOf(0);
    if (new TextDecoder('latin1').decode(chunk.data.subarray(0, zero)) === keyword) return new TextDecoder('latin1').decode(chunk.data.subarray(zero + 1));
  }
  return undefined;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}


export class OutputProtection {
  private readonly fileHashes = new Map<string, Promise<Record<string, string>>>();

  private constructor(
    private readonly config: ProtectionConfig,
    private readonly redis: Redis,
    private readonly key: SigningKey | null,
    private readonly models: Map<string, ModelFiles>,
  ) {}

  /** Loads (or creates) the signing key and publishes its public half for the API. */
  static async create(config: ProtectionConfig, redis: Redis, models: Map<string, ModelFiles>, logger: Logger): Promise<OutputProtection> {
    let key: SigningKey | null = null;
    if (config.PROVENANCE) {
      key = config.PROVENANCE_SIGNING_KEY ? signingKeyFromPem(config.PROVENANCE_SIGNING_KEY) : loadOrCreateSigningKey(config.DATA_DIR);
      await new ProvenanceKeyRegistry(redis, config.REDIS_PREFIX).publish(key.publicJwk);
      logger.info({ kid: key.kid }, 'provenance signing key published');
    }
    return new OutputProtection(config, redis, key, models);
  }

  get kid(): string | null {
    return this.key?.kid ?? null;
  }

  /**
   * Whether this job's images get the watermark: not when a palette lock is asked for, whose
   * promise (every pixel one of the palette colors) the watermark's brightness shifts would break.
   */
  private watermarked(data: RenderJobData): boolean {
    return this.config.WATERMARK && !data.request.palette?.length;
  }

  /** Extra fields of the pipeline request: one watermark payload per image. */
  /** `firstIndex`: the output index of the first image (a prompt chain's stage k makes output k). */
  requestExtras(data: RenderJobData, firstIndex = 0): { watermarks?: number[] } {
    if (!this.watermarked(data)) return {};
    return { watermarks: Array.from({ length: data.request.numImages }, (_, k) => watermarkPayloadFor(data.jobId, firstIndex + k)) };
  }

  /**
   * The watermark → job index entry of an output stored earlier (a prompt chain's earlier stages:
   * their entries are set with the job's success, like the last stage's).
   */
  indexOf(jobId: string, index: number, watermark: string | undefined): OutputIndex | undefined {
    if (!watermark) return undefined;
    return { key: watermarkIndexKey(this.config.REDIS_PREFIX, watermark), value: `${jobId}/${index}`, ttlSec: Math.max(60, this.config.JOB_RETENTION_SECONDS) };
  }

  /** SHA-256 of each model file named in model.json, computed once per process (streamed). */
  private modelFileHashes(model: string): Promise<Record<string, string>> {
    let pending = this.fileHashes.get(model);
    if (!pending) {
      const info = this.models.get(model);
      const named = { ...(info?.manifest.files ?? {}), ...Object.fromEntries(Object.entries(info?.manifest.tokenizers ?? {}).map(([k, v]) => [`tokenizer.${k}`, v])) };
      pending = (async () => {
        const out: Record<string, string> = {};
        for (const [role, file] of Object.entries(named).sort()) if (typeof file === 'string') out[role] = await sha256File(path.join(info!.dir, file));
        return out;
      })();
      this.fileHashes.set(model, pending);
    }
    return pending;
  }

  /** Signs one rendered image (PNG, JPEG or WebP) and indexes its watermark. */
  async protect(data: RenderJobData, record: JobRecord, index: number, image: { data: Uint8Array; contentType: string; pixelsSha256?: string }): Promise<ProtectedOutput> {
    const watermark = this.watermarked(data) ? hex32(watermarkPayloadFor(data.jobId, index)) : undefined;
    // watermark → job, written with the job's success (the lifecycle's succeed)
    const indexEntry = watermark
      ? { index: { key: watermarkIndexKey(this.config.REDIS_PREFIX, watermark), value: `${data.jobId}/${index}`, ttlSec: Math.max(60, this.config.JOB_RETENTION_SECONDS) } }
      : {};
    const format = CONTAINER_FORMATS[image.contentType];
    if (!this.key || !format) return { data: image.data, ...(watermark ? { watermark } : {}), ...indexEntry };
    const { webhook: _webhook, metadata: _metadata, ...params } = record.input;
    const fields = {
      job_id: data.jobId,
      tenant: data.tenant,
      image_index: index,
      model: { name: data.model, files: await this.modelFileHashes(data.model) },
      // The version the render thread wrote into the file (importing the pipeline here would
      // load onnxruntime on the thread that renews job locks).
      pipeline_version: pipelineVersionOf(image.data, format) ?? 'unknown',
      // a prompt chain's stage renders one image with the stage's own seed
      params: { ...params, image_seed: record.stage != null ? data.request.seed : (data.request.seed + index) >>> 0, ...(record.stage != null ? { stage: index } : {}) },
      created_at: new Date().toISOString(),
      ...(watermark ? { watermark: { scheme: WATERMARK_SCHEME, payload: watermark } } : {}),
    };
    if (format === 'png') {
      // the render thread hashed the pixels it encoded: no decode of the file here
      const signed = embedPngProvenance(image.data, fields, this.key, image.pixelsSha256 ? { sha256: image.pixelsSha256 } : undefined);
      return { data: signed.png, provenance: signed.record, ...(watermark ? { watermark } : {}), ...indexEntry };
    }
    // lossy formats: the record names the pixels a decoder gets from the file
    const decoded = await decodeImageRgb(image.data);
    const pixelsSha256 = createHash('sha256').update(decoded.rgb).digest('hex');
    const signed = embedContainerProvenance(image.data, format, fields, this.key, { width: decoded.width, height: decoded.height, pixelsSha256 });
    return { data: signed.file, provenance: signed.record, ...(watermark ? { watermark } : {}), ...indexEntry };
  }
}

const CONTAINER_FORMATS: Record<string, 'png' | 'jpeg' | 'webp'> = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' };

/** The pipeline version the render thread wrote into the file: a PNG text chunk, or the XMP packet. */
function pipelineVersionOf(file: Uint8Array, format: 'png' | 'jpeg' | 'webp'): string | undefined {
  if (format === 'png') return pngText(file, 'pipeline');
  return /<flowfarm:pipeline>([^<]*)<\/flowfarm:pipeline>/.exec(Buffer.from(file).toString('latin1'))?.[1];
}
