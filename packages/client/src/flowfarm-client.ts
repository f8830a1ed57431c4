// The tenant-facing SDK: submit, inspect, cancel, list and wait for jobs; list models.

import type { JobInput, JobList, JobProvenance, JobStatus, JobView, ModelInfo, ModelList, ProvenanceKeySet, StyleList, StylePreset, StylePresetInput, TenantUsage, UsageGroupBy, VerifyResult } from './contract-types.js';
import { ABORTED_CODE, FlowfarmError, TIMEOUT_CODE, UNREACHABLE_CODE } from './errors.js';
import { HttpTransport, pause, type TransportOptions } from './http-transport.js';
import { DatasetClient } from './dataset-client.js';
import { STREAM_UNSUPPORTED_CODE, streamJobEvents, type JobEvent, type JobEventsOptions } from './job-event-stream.js';

export type FlowfarmClientOptions = TransportOptions;

export interface SubmitOptions {
  /** Same key and body within 24 h returns the same job instead of a new one. */
  idempotencyKey?: string;
  /** Hold the request up to this many seconds (≤ 60) for the job to finish (`Prefer: wait`). */
  waitSeconds?: number;
  /**
   * Deadline from submit (`Cancel-After`, as Replicate defines it): seconds, or a string such as
   * `'90s'`, `'5m'`, `'1h30m'`. Not started by then → `expired`; still running → `canceled`.
   */
  cancelAfter?: number | string;
  signal?: AbortSignal;
}

export interface UsageOptions {
  /** First and last UTC day, `YYYY-MM-DD` (default: the last 30 days). */
  from?: string;
  to?: string;
  groupBy?: UsageGroupBy;
  signal?: AbortSignal;
}

/** `?from&to&group_by&format` of the usage routes. */
export function usageQuery(options: UsageOptions & { format?: 'csv'; tenant?: string }): string {
  const query = new URLSearchParams();
  if (options.from) query.set('from', options.from);
  if (options.to) query.set('to', options.to);
  if (options.groupBy) query.set('group_by', options.groupBy);
  if (options.tenant) query.set('tenant', options.tenant);
  if (options.format) query.set('format', options.format);
  return query.toString() ? `?${query}` : '';
}

export interface ListOptions {
  status?: JobStatus;
  limit?: number;
  cursor?: string;
  signal?: AbortSignal;
}

export interface WaitOptions {
  /** Give up after this long with a FlowfarmError whose code is `timeout` (default: no limit). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with each of the job's events, from its first (the history is replayed). */
  onEvent?: (event: JobEvent) => void;
  /** Polling interval when the event stream cannot be used (default 1000 ms). */
  pollIntervalMs?: number;
}

const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['succeeded', 'failed', 'canceled', 'moderated', 'expired']);

/** True once a job can no longer change. */
export function isFinished(job: Pick<JobView, 'status'>): boolean {
  return TERMINAL_STATUSES.has(job.status);
}

/** Content type from a file's first bytes (PNG, JPEG, WebP), else octet-stream. */
function sniffImageType(bytes: Uint8Array): string {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'image/webp';
  return 'application/octet-stream';
}

export class FlowfarmClient {
  private readonly http: HttpTransport;
  /** Labelled synthetic datasets: create, get, list, cancel, wait, image, file. */
  readonly datasets: DatasetClient;

  constructor(options: FlowfarmClientOptions) {
    this.http = new HttpTransport(options);
    this.datasets = new DatasetClient(this.http);
  }

  /** Submits a job; resolves with the queued job (or the finished one with `waitSeconds`). */
  submit(input: JobInput, options: SubmitOptions = {}): Promise<JobView> {
    const headers: Record<string, string> = {};
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    if (options.waitSeconds !== undefined) headers.prefer = `wait=${Math.round(options.waitSeconds)}`;
    if (options.cancelAfter !== undefined) headers['cancel-after'] = String(options.cancelAfter);
    return this.http.json<JobView>('/v1/jobs', { method: 'POST', body: input, headers, signal: options.signal });
  }

  /**
   * The tenant's metered usage (succeeded jobs) per UTC day or model, with its quotas and what
   * it has reserved against them in the current day and month.
   */
  usage(options: UsageOptions = {}): Promise<TenantUsage> {
    return this.http.json<TenantUsage>(`/v1/usage${usageQuery(options)}`, { signal: options.signal });
  }

  /** The same rows as CSV (header line first), for spreadsheets and billing exports. */
  async usageCsv(options: UsageOptions = {}): Promise<string> {
    const response = await this.http.send(`/v1/usage${usageQuery({ ...options, format: 'csv' })}`, { signal: options.signal, headers: { accept: 'text/csv' } });
    return response.text();
  }

  /** The job as it is now. Another tenant's job is a 404. */
  get(id: string, options: { signal?: AbortSignal } = {}): Promise<JobView> {
    return this.http.json<JobView>(`/v1/jobs/${encodeURIComponent(id)}`, { signal: options.signal });
  }

  /** Cancels a queued job at once or a running one at its next step; a finished job → 409. */
  cancel(id: string, options: { signal?: AbortSignal } = {}): Promise<JobView> {
    return this.http.json<JobView>(`/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST', signal: options.signal });
  }

  /** The tenant's recent jobs, newest first; pass `next_cursor` back as `cursor` for more. */
  list(options: ListOptions = {}): Promise<JobList> {
    const query = new URLSearchParams();
    if (options.status) query.set('status', options.status);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor) query.set('cursor', options.cursor);
    const suffix = query.toString() ? `?${query}` : '';
    return this.http.json<JobList>(`/v1/jobs${suffix}`, { signal: options.signal });
  }

  /** Models served by live workers, with their limits and defaults. */
  async models(options: { signal?: AbortSignal } = {}): Promise<ModelInfo[]> {
    const list = await this.http.json<ModelList>('/v1/models', { signal: options.signal });
    return list.data;
  }

  /**
   * Verifies an image file against the farm's provenance keys: `status` is valid, tampered,
   * unsigned or unknown_key; `watermark` says whether the invisible watermark was found and,
   * for your own jobs, which job it points to (checked unless the file is valid, or always
   * with `watermark: 'always'`).
   */
  verify(file: Uint8Array, options: { contentType?: string; watermark?: 'auto' | 'always'; signal?: AbortSignal } = {}): Promise<VerifyResult> {
    const query = options.watermark === 'always' ? '?watermark=always' : '';
    return this.http.json<VerifyResult>(`/v1/verify${query}`, {
      method: 'POST',
      rawBody: file,
      headers: { 'content-type': options.contentType ?? sniffImageType(file) },
      signal: options.signal,
    });
  }

  /** The signed provenance record and watermark payload of each of a job's outputs. */
  provenance(id: string, options: { signal?: AbortSignal } = {}): Promise<JobProvenance> {
    return this.http.json<JobProvenance>(`/v1/jobs/${encodeURIComponent(id)}/provenance`, { signal: options.signal });
  }

  /** The farm's public provenance keys (also served without a key at /.well-known/flowfarm-keys.json). */
  publicKeys(options: { signal?: AbortSignal } = {}): Promise<ProvenanceKeySet> {
    return this.http.json<ProvenanceKeySet>('/.well-known/flowfarm-keys.json', { signal: options.signal });
  }

  /** Style presets this tenant may name in `style`: the built-in ones, then its own. */
  async styles(options: { signal?: AbortSignal } = {}): Promise<StylePreset[]> {
    const list = await this.http.json<StyleList>('/v1/styles', { signal: options.signal });
    return list.data;
  }

  /** Creates or replaces one of the tenant's presets (a built-in name → 409 `style_builtin`). */
  putStyle(name: string, preset: StylePresetInput, options: { signal?: AbortSignal } = {}): Promise<StylePreset> {
    return this.http.json<StylePreset>(`/v1/styles/${encodeURIComponent(name)}`, { method: 'PUT', body: preset, signal: options.signal });
  }

  /** Deletes one of the tenant's presets (404 when it has none of that name). */
  async deleteStyle(name: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.http.send(`/v1/styles/${encodeURIComponent(name)}`, { method: 'DELETE', signal: options.signal });
  }

  /** The job's events until its terminal one, resuming after dropped connections. */
  events(id: string, options: JobEventsOptions = {}): AsyncGenerator<JobEvent> {
    return streamJobEvents(this.http, id, options);
  }

  /**
   * Resolves with the finished job (succeeded, failed or canceled — check `status`). Follows
   * the event stream and falls back to polling when the stream cannot be used.
   */
  async wait(id: string, options: WaitOptions = {}): Promise<JobView> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    let timedOut = false;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, options.timeoutMs);
    try {
      return await this.waitUntilFinished(id, controller.signal, options);
    } catch (error) {
      if (timedOut) throw new FlowfarmError(0, TIMEOUT_CODE, `job ${id} did not finish within ${options.timeoutMs} ms`, { cause: error });
      if (controller.signal.aborted && !(error instanceof FlowfarmError && error.code !== ABORTED_CODE)) {
        throw new FlowfarmError(0, ABORTED_CODE, 'wait aborted', { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Downloads one of a job's outputs (its URL is signed, so no key is needed, but harmless). */
  async download(output: { url: string }, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const response = await this.http.send(output.url, { signal: options.signal, headers: { accept: '*/*' } });
    return new Uint8Array(await response.arrayBuffer());
  }

  private async waitUntilFinished(id: string, signal: AbortSignal, options: WaitOptions): Promise<JobView> {
    let job = await this.get(id, { signal });
    // With onEvent the stream is read even for a finished job: it replays the job's history.
    if (isFinished(job) && !options.onEvent) return job;
    try {
      for await (const event of this.events(id, { signal })) {
        options.onEvent?.(event);
        if (event.job && isFinished(event.job)) return event.job;
      }
      job = await this.get(id, { signal });
      if (isFinished(job)) return job;
    } catch (error) {
      // The stream is an optimisation: when it is unavailable, polling still gets there.
      const streamProblem = error instanceof FlowfarmError && (error.code === STREAM_UNSUPPORTED_CODE || error.code === UNREACHABLE_CODE || error.status >= 500);
      if (!streamProblem || signal.aborted) throw error;
    }
    const interval = options.pollIntervalMs ?? 1000;
    for (;;) {
      job = await this.get(id, { signal });
      if (isFinished(job)) return job;
      await pause(interval, signal);
    }
  }
}
