import { imagesOf, pixelSteps, quotaPeriods } from './quota-periods.js';
import type { AppliedStyle, AspectRatio, JobErrorInfo, JobInput, JobModeration, JobProgress, JobStatus, JobView, Layout, OutputFormat } from '@flowfarm/contracts';

/** The pipeline request of a job, defaults already filled in by the API (kept in the record). */
export interface RenderRequest {
  prompt: string; width: number; height: number; steps: number; guidance?: number; seed: number; numImages: number;
  outputFormat?: OutputFormat; outputQuality?: number; layout?: Layout;
  aspectRatio?: AspectRatio; ultra?: boolean; palette?: string[];
  /** recorded in the file's metadata (the API already applied the preset to prompt and defaults) */
  style?: string; raw?: boolean;
  /** image-to-image: (0, 1] and the stored starting image (the worker reads, resizes and encodes it) */
  strength?: number; image?: { key: string; sha256: string };
  /** prompt chaining: every stage with its defaults filled in (prompts styled); stages.ts */
  stages?: RenderStage[];
}

/** One stage of a prompt chain as the worker renders it (stage 0 may start from `image`). */
export interface RenderStage {
  prompt: string;
  steps: number;
  seed: number;
  /** image-to-image strength from the previous stage's output (stage 0: from the job's image, if any) */
  strength?: number;
}

/** A stored output: where the file is, not a URL (URLs are signed when a view is built). */
export interface StoredOutput {
  key: string;
  content_type: string;
  width: number;
  height: number;
  seed: number;
  bytes: number;
  /** The signed provenance record embedded in the file (GET /v1/jobs/{id}/provenance). */
  provenance?: Record<string, unknown> | object;
  /** Invisible watermark payload (8 hex digits). */
  watermark?: string;
  /** Prompt chaining: the index of the stage that made this image. */
  stage?: number;
}

/** Where a job's starting image is stored, and what the view says of it. */
export interface InputImageRef {
  key: string;
  sha256: string;
  contentType: string;
  width: number;
  height: number;
}

/** A job as kept in its Redis hash (`<prefix>:job:<id>`): the one record of the job. Times are epoch milliseconds. */
export interface JobRecord {
  id: string;
  tenant: string;
  model: string;
  /** The submitted input with the model defaults (and a seed) filled in. */
  input: JobInput;
  status: JobStatus;
  progress: JobProgress;
  outputs: StoredOutput[];
  error: JobErrorInfo | null;
  /** Set when the job ended `moderated`. Absent on records written before moderation existed. */
  moderation?: JobModeration | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  cancelRequested: boolean;
  attempt: number;
  /** The style preset the job named, as applied at submit (absent: none). */
  style?: AppliedStyle | null;
  /** The image-to-image starting image (stored under `key`; the input's data URL is not kept). */
  inputImage?: InputImageRef | null;
  /** What the worker renders (absent on records of jobs that never reach a queue). */
  request?: RenderRequest | null;
  /** The worker that holds (or last held) the job. */
  worker?: string | null;
  /**
   * Epoch ms: a worker took the job's token and holds it for its next batch (still `queued` until
   * the batch starts); cleared when the job goes back to the queue for a retry.
   */
  claimedAt?: number | null;
  /** The worker's own time for the run that succeeded: start to stored outputs. */
  renderMs?: number | null;
  /** The BullMQ priority its dispatch token got (fair-share slot), set by the submit script. */
  dispatchPriority?: number | null;
  /** Id of the API key that submitted the job (usage is metered per key). */
  keyId?: string | null;
  /** Epoch ms: not started by then, the job ends expired (start_timeout or Cancel-After). */
  startBy?: number | null;
  /** Epoch ms: still running then, the job is canceled (Cancel-After). */
  cancelAt?: number | null;
  /** What the job reserved against its tenant's quotas at submit (released unless it succeeds). */
  reserved?: QuotaReservation | null;
  /** Prompt chaining: the index of the stage to render next (absent for other jobs). */
  stage?: number | null;
  /** Prompt chaining: steps of the stages already done (where the next stage's progress starts). */
  stageStep?: number | null;
  /** Prompt chaining: render and GPU time of the stages already done. */
  stageRenderMs?: number | null;
  stageGpuMs?: number | null;
}

/** Images and pixel-steps counted against the quota periods a job was submitted in. */
export interface QuotaReservation {
  /** UTC day `YYYY-MM-DD` and month `YYYY-MM`. */
  day: string;
  month: string;
  images: number;
  /** width × height × steps × images (integer, so counters never drift). */
  pixelSteps: number;
}

/**
 * Hash fields of a new record as flat field/value pairs. Empty fields are left out, so a queued
 * job's record stays small (the reader fills in their defaults).
 */
export function recordToHash(r: JobRecord): string[] {
  const pairs: Array<[string, string | null | undefined | false]> = [
    ['id', r.id],
    ['tenant', r.tenant],
    ['model', r.model],
    ['input', JSON.stringify(r.input)],
    ['status', r.status],
    ['progress', JSON.stringify(r.progress)],
    ['outputs', r.outputs.length ? JSON.stringify(r.outputs) : null],
    ['error', r.error && JSON.stringify(r.error)],
    ['moderation', r.moderation && JSON.stringify(r.moderation)],
    ['created_at', String(r.createdAt)],
    ['started_at', r.startedAt !== null && String(r.startedAt)],
    ['finished_at', r.finishedAt !== null && String(r.finishedAt)],
    ['cancel_requested', r.cancelRequested && '1'],
    ['attempt', r.attempt ? String(r.attempt) : null],
    ['style', r.style && JSON.stringify(r.style)],
    ['input_image', r.inputImage && JSON.stringify(r.inputImage)],
    ['request', r.request && JSON.stringify(storedRequest(r.request, r.input))],
    ['key_id', r.keyId],
    ['start_by', r.startBy ? String(r.startBy) : null],
    ['cancel_at', r.cancelAt ? String(r.cancelAt) : null],
    ['reserved', r.reserved && (sameReservation(r.reserved, submitReservation(r.createdAt, r.input)) ? RESERVED_AT_SUBMIT : JSON.stringify(r.reserved))],
    ['stage', r.stage !== undefined && r.stage !== null && String(r.stage)],
  ];
  return pairs.flatMap(([field, value]) => (value ? [field, value] : []));
}

/**
 * What a job reserves against its quotas when it is submitted: its images and pixel-steps in the
 * periods of its submit time. A record whose reservation is exactly that stores only this marker
 * (the reservation follows from its input and created_at), not the 70-byte JSON.
 */
const RESERVED_AT_SUBMIT = '1';

export function submitReservation(createdAt: number, input: JobInput): QuotaReservation {
  const { day, month } = quotaPeriods(createdAt);
  return { day, month, images: imagesOf(input), pixelSteps: pixelSteps(input) };
}

const sameReservation = (a: QuotaReservation, b: QuotaReservation) => a.day === b.day && a.month === b.month && a.images === b.images && a.pixelSteps === b.pixelSteps;

/** The request as stored: without its prompt when that is the input's (a prompt is kept once; prompts are most of a record). */
type StoredRequest = Omit<RenderRequest, 'prompt'> & { prompt?: string };

function storedRequest(request: RenderRequest, input: JobInput): StoredRequest {
  if (request.prompt !== input.prompt) return request;
  const { prompt: _same, ...rest } = request;
  return rest;
}

function requestFromStored(stored: StoredRequest, input: JobInput): RenderRequest {
  return stored.prompt === undefined ? { ...stored, prompt: input.prompt } : (stored as RenderRequest);
}

const num = (s: string | undefined) => (s ? Number(s) : null);

/** A record from HGETALL's answer (an object, or the flat field/value pairs a script returns). */
export function recordFromHash(raw: Record<string, string> | string[]): JobRecord | null {
  const h: Record<string, string> = Array.isArray(raw) ? pairsToObject(raw) : raw;
  if (!h.id) return null;
  const input = JSON.parse(h.input) as JobInput;
  return {
    id: h.id,
    tenant: h.tenant,
    model: h.model,
    input,
    status: h.status as JobStatus,
    progress: h.progress ? (JSON.parse(h.progress) as JobProgress) : { step: 0, total: 0 },
    outputs: h.outputs ? (JSON.parse(h.outputs) as StoredOutput[]) : [],
    error: h.error ? (JSON.parse(h.error) as JobErrorInfo) : null,
    moderation: h.moderation ? (JSON.parse(h.moderation) as JobModeration) : null,
    createdAt: Number(h.created_at),
    startedAt: num(h.started_at),
    finishedAt: num(h.finished_at),
    cancelRequested: h.cancel_requested === '1',
    attempt: Number(h.attempt ?? 0),
    style: h.style ? (JSON.parse(h.style) as AppliedStyle) : null,
    inputImage: h.input_image ? (JSON.parse(h.input_image) as InputImageRef) : null,
    request: h.request ? requestFromStored(JSON.parse(h.request) as StoredRequest, input) : null,
    worker: h.worker || null,
    claimedAt: num(h.claimed_at),
    renderMs: num(h.render_ms),
    dispatchPriority: num(h.prio),
    keyId: h.key_id || null,
    startBy: num(h.start_by),
    cancelAt: num(h.cancel_at),
    reserved: !h.reserved ? null : h.reserved === RESERVED_AT_SUBMIT ? submitReservation(Number(h.created_at), input) : (JSON.parse(h.reserved) as QuotaReservation),
    ...(h.stage === undefined ? {} : { stage: Number(h.stage), stageStep: Number(h.stage_step ?? 0), stageRenderMs: Number(h.stage_render_ms ?? 0), stageGpuMs: Number(h.stage_gpu_ms ?? 0) }),
  };
}

function pairsToObject(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) out[pairs[i]] = pairs[i + 1];
  return out;
}

export interface ViewContext {
  /** Signed download URL of a stored file. */
  outputUrl(key: string): Promise<string>;
  /** Base of the API's own URLs (`''` for relative URLs). */
  apiBaseUrl: string;
  queuePosition?: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The public view of a job (`GET /v1/jobs/:id`, webhook `data`). */
export async function toJobView(r: JobRecord, ctx: ViewContext): Promise<JobView> {
  const self = `${ctx.apiBaseUrl}/v1/jobs/${r.id}`;
  const outputs = await Promise.all(
    r.outputs.map(async (o) => ({
      url: await ctx.outputUrl(o.key),
      content_type: o.content_type,
      width: o.width,
      height: o.height,
      seed: o.seed,
      bytes: o.bytes,
      ...(o.stage === undefined ? {} : { stage: o.stage }),
    })),
  );
  return {
    id: r.id,
    status: r.status,
    model: r.model,
    input: r.input,
    progress: r.progress,
    // a claimed job is next: a worker holds it for the batch it starts next
    queue_position: r.status === 'queued' ? (ctx.queuePosition ?? (r.claimedAt ? 0 : null)) : null,
    outputs,
    error: r.error,
    moderation: r.moderation ?? null,
    metadata: (r.input.metadata as Record<string, unknown> | undefined) ?? null,
    style: r.style ?? null,
    input_image: r.inputImage
      ? { sha256: r.inputImage.sha256, content_type: r.inputImage.contentType, width: r.inputImage.width, height: r.inputImage.height }
      : null,
    start_by: iso(r.startBy ?? null),
    cancel_at: iso(r.cancelAt ?? null),
    created_at: iso(r.createdAt)!,
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
    timings: {
      queue_ms: r.startedAt === null ? null : Math.max(0, r.startedAt - r.createdAt),
      render_ms: r.renderMs ?? null,
    },
    urls: { self, events: `${self}/events`, cancel: `${self}/cancel` },
  };
}
