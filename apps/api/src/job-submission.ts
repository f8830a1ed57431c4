import { createHash, randomFillSync } from 'node:crypto';
import {
  RateLimitedError,
  ReadCache,
  ConflictError,
  QuotaExceededError,
  ServiceUnavailableError,
  UnknownModelError,
  ValidationError,
  type FieldError,
  type JobInput,
} from '@flowfarm/contracts';
import { progressTotal, type JobRecord, type ModelLimits, type RenderRequest, type ViewOf } from '@flowfarm/queue';
import { stagesOf, styleStages } from './job-stages.js';
import { sizeFromAspectRatio } from './aspect-ratio-size.js';
import { resolveJobStyle } from './job-style.js';
import type { ApiDeps } from './deps.js';
import { moderatePrompt } from './prompt-moderation.js';
import { layoutOfJob } from './layout-input.js';
import { inputImageOf, type InputImage } from './input-image.js';
import { deadlinesOf, priorityFor, type Submitter } from './fair-submit.js';
import { auditEntryFor } from './audit-submit.js';

/** Quality of jpeg/webp output when the job names none (the pipeline's default too). */
const DEFAULT_OUTPUT_QUALITY = 90;

// Job ids and seeds come from the CSPRNG through a pool refilled 4 KB at a time: each call of
// randomBytes costs ~10-30 µs whatever its size, two per submit otherwise. Bytes are used once.
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;
function pooledRandom(bytes: number): Buffer {
  if (poolUsed + bytes > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  poolUsed += bytes;
  return pool.subarray(poolUsed - bytes, poolUsed);
}

/** Opaque, url-safe job id (96 random bits); also the BullMQ job id. */
export const newJobId = (): string => `job_${pooledRandom(12).toString('base64url')}`;

// per farm (Redis prefix): tests run several farms in one process
const modelCache = new ReadCache<{ known: Map<string, ModelLimits>; live: string[] }>(2000);

/** Models a job may name: announced by a worker (live now or earlier, so scale-to-zero still validates). */
export function servedModels(deps: ApiDeps): Promise<{ known: Map<string, ModelLimits>; live: string[] }> {
  return modelCache.get(deps.keys.bullPrefix, async () => {
    const [known, live] = await Promise.all([deps.workers.knownModels(), deps.workers.liveModels()]);
    return { known, live: live.map((m) => m.name) };
  });
}

/** Checks the input against the model's limits and fills in its defaults (and a seed, so re-runs repeat). */
export async function resolveAgainstModel(
  deps: ApiDeps,
  input: JobInput,
  /** the submitting tenant: a job may start from one of its own result URLs */
  tenant?: string,
): Promise<{ input: JobInput; request: RenderRequest; image?: InputImage; defaultJobCost: number }> {
  const { known, live } = await servedModels(deps);
  if (known.size === 0) throw new ServiceUnavailableError('no worker has announced a model yet; retry shortly', { retryAfter: 5 });
  const served = live.length ? live : [...known.keys()].sort();
  const asked = input.model ?? deps.config.DEFAULT_MODEL ?? served[0];
  const askedLimits = asked ? known.get(asked) : undefined;
  if (!asked || !askedLimits) throw new UnknownModelError(asked ?? '(default)', served);
  // raw: true goes to the model's raw variant where its manifest names one that a worker serves
  const rawVariant = input.raw && askedLimits.raw_variant ? known.get(askedLimits.raw_variant) : undefined;
  const name = rawVariant ? rawVariant.name : asked;
  const limits = rawVariant ?? askedLimits;

  const errors: FieldError[] = [];
  const { min, max, multiple } = limits.resolution;
  const sized = sizeFromAspectRatio(input, limits, errors);
  const width = sized?.width ?? input.width ?? limits.default_size.width;
  const height = sized?.height ?? input.height ?? limits.default_size.height;
  for (const [field, value] of [['width', width], ['height', height]] as const) {
    if (value < min || value > max || value % multiple !== 0) {
      errors.push({ path: field, message: `${field} must be a multiple of ${multiple} from ${min} to ${max} for ${name}`, code: 'out_of_range' });
    }
  }
  const steps = input.steps ?? limits.steps.default;
  if (steps < limits.steps.min || steps > limits.steps.max) {
    errors.push({ path: 'steps', message: `steps must be from ${limits.steps.min} to ${limits.steps.max} for ${name}`, code: 'out_of_range' });
  }
  const outputFormat = input.output_format ?? 'png';
  if (outputFormat === 'png' && input.output_quality !== undefined) {
    errors.push({ path: 'output_quality', message: 'output_quality applies to jpeg and webp only (png is lossless)', code: 'not_applicable' });
  }
  const image = await inputImageOf(input, name, limits, errors, tenant === undefined ? undefined : { tenant, storage: deps.storage });
  const seed = input.seed ?? pooledRandom(4).readUInt32LE(0);
  const stages = stagesOf(input, { name, limits, steps, seed, fromImage: input.image !== undefined, imageStrength: image?.strength }, errors);
  if (errors.length) throw new ValidationError(errors);
  const outputQuality = outputFormat === 'png' ? undefined : (input.output_quality ?? DEFAULT_OUTPUT_QUALITY);
  const layout = layoutOfJob(input, width, height);

  const guidance = limits.variant === 'dev' ? (input.guidance ?? limits.guidance?.default ?? 3.5) : undefined;
  const numImages = input.num_images ?? 1;
  // the data URL is not kept in the record (megabytes in Redis): the view shows its hash instead
  const { image: _dataUrl, ...rest } = input;
  const filled: JobInput = {
    ...rest,
    ...(image ? { strength: stages?.input[0].strength ?? image.strength } : {}),
    ...(stages ? { stages: stages.input } : {}),
    model: name,
    width,
    height,
    steps,
    seed,
    num_images: numImages,
    ...(sized ? { aspect_ratio: input.aspect_ratio ?? '1:1' } : {}),
    ...(input.palette ? { palette: input.palette.map((c) => c.toLowerCase()) } : {}),
    output_format: outputFormat,
    ...(outputQuality === undefined ? {} : { output_quality: outputQuality }),
    ...(guidance === undefined ? {} : { guidance }),
  };
  const request: RenderRequest = {
    prompt: input.prompt, width, height, steps, seed, numImages, outputFormat,
    ...(sized ? { aspectRatio: input.aspect_ratio ?? '1:1' } : {}),
    ...(input.ultra ? { ultra: true } : {}),
    ...(input.style !== undefined ? { style: input.style } : {}),
    ...(input.raw ? { raw: true } : {}),
    ...(input.palette ? { palette: input.palette.map((c) => c.toLowerCase()) } : {}),
    ...(outputQuality === undefined ? {} : { outputQuality }),
    ...(guidance === undefined ? {} : { guidance }),
    ...(layout ? { layout } : {}),
    ...(image ? { strength: image.strength } : {}),
    ...(stages ? { stages: stages.render } : {}),
  };
  return { input: filled, request, ...(image ? { image } : {}), defaultJobCost: defaultJobCostOf(limits) };
}

/** Megapixel-steps of the model's default job: the fair-share tag resolution of its queue. */
export function defaultJobCostOf(limits: ModelLimits): number {
  return (limits.default_size.width * limits.default_size.height * limits.steps.default) / 1e6;
}

/** Stable hash of a JSON body (object keys sorted), for Idempotency-Key comparison. */
export function bodyHash(body: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(body))).digest('hex');
}

export interface SubmitResult {
  record: JobRecord;
  /** false when an Idempotency-Key replay returned an earlier job. */
  created: boolean;
  /** A new queued job's position, as the submit script saw it (undefined: ask the queue). */
  queuePosition?: number | null;
}

/**
 * Records the job and dispatches it, through the lifecycle: record, idempotency key, tenant
 * index, active cap, quotas, fair-share slot and the BullMQ token in one script, so no crash leaves a
 * half-submitted job; the token goes out with its fair-share priority. A job stopped by prompt
 * moderation is recorded as moderated and never queued.
 */
export async function submitJob(deps: ApiDeps, tenant: string, rawBody: unknown, parsed: JobInput, idempotencyKey?: string, who: Submitter = {}, view?: ViewOf): Promise<SubmitResult> {
  const styled = await resolveJobStyle(deps, tenant, parsed);
  const { input, request, image } = await resolveAgainstModel(deps, styled.input, tenant);
  // the tenant's policy and the moderation lists are read at once (two reads, one round trip)
  const [priority, moderation] = await Promise.all([priorityFor(deps, tenant, input, who), moderatePrompt(deps, tenant, input)]);
  input.priority = priority;
  request.prompt = styled.prompt;
  if (request.stages) request.stages = styleStages(request.stages, styled.style?.preset);
  const id = newJobId();
  // stored beside the job's outputs, so retention removes it with them
  const inputImage = image
    ? { key: `${tenant}/${id}/input.${image.ext}`, sha256: image.sha256, contentType: image.contentType, width: image.width, height: image.height }
    : undefined;
  if (inputImage) request.image = { key: inputImage.key, sha256: inputImage.sha256 };
  const createdAt = Date.now();
  const record: JobRecord = {
    id,
    tenant,
    model: input.model!,
    input,
    status: 'queued',
    progress: { step: 0, total: progressTotal(request) },
    outputs: [],
    error: null,
    createdAt,
    startedAt: null,
    finishedAt: null,
    cancelRequested: false,
    attempt: 0,
    ...(styled.style ? { style: styled.style } : {}),
    ...(inputImage ? { inputImage } : {}),
    ...(moderation ? {} : { request }),
    ...(request.stages && !moderation ? { stage: 0 } : {}),
    keyId: who.keyId ?? null,
    ...deadlinesOf(createdAt, input, who),
  };
  // the starting image is stored before the job exists, so a worker never finds it missing
  if (image && inputImage && !moderation) await deps.storage.put(inputImage.key, image.bytes, image.contentType);
  let outcome;
  try {
    outcome = await deps.lifecycle.submit(record, {
      maxActive: deps.config.MAX_ACTIVE_JOBS_PER_TENANT,
      idempotency: idempotencyKey ? { key: idempotencyKey, bodyHash: bodyHash(rawBody), ttlSec: deps.config.IDEMPOTENCY_TTL_SECONDS } : undefined,
      moderation,
      view,
      // the audit entry is written with the job it records
      append: who.client === undefined ? null : deps.audit.entryFor(auditEntryFor(record, moderation, who.keyId, who.client)),
    });
  } catch (err) {
    // Redis failed: the job is either not recorded, or recorded and queued (one script); a
    // retry with the same Idempotency-Key answers that job.
    throw new ServiceUnavailableError('the job queue is not reachable', { cause: err, retryAfter: 5 });
  }
  // no job was created under this id (a replay, a conflict, a cap or quota): its stored image goes
  if (outcome.kind !== 'created' && image && inputImage && !moderation) {
    await deps.storage.removePrefix(`${tenant}/${id}/`).catch((err: unknown) => deps.logger.warn({ err, key: inputImage.key }, 'unused input image not removed'));
  }
  if (outcome.kind === 'full') {
    throw new RateLimitedError('too_many_active_jobs', `at most ${deps.config.MAX_ACTIVE_JOBS_PER_TENANT} queued or running jobs per tenant`, 5);
  }
  if (outcome.kind === 'quota') throw new QuotaExceededError(outcome.breach);
  if (outcome.kind === 'conflict') {
    throw new ConflictError('idempotency_key_reused', 'this Idempotency-Key was used with another request body', { extra: { job_id: outcome.jobId } });
  }
  if (outcome.kind === 'gone') throw new ConflictError('idempotency_key_reused', 'this Idempotency-Key belongs to a job that no longer exists');
  if (outcome.kind === 'existing') return { record: outcome.record, created: false };
  return { record: outcome.record, created: true, queuePosition: outcome.queuePosition };
}
