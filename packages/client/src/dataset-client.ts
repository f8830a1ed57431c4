import type { DatasetList, DatasetSpec, DatasetView } from './contract-types.js';
import type { HttpTransport } from './http-transport.js';
import { pause } from './http-transport.js';

export interface DatasetWaitOptions {
  /** default 1 s */
  pollMs?: number;
  signal?: AbortSignal;
  /** called with every poll's view (progress bars) */
  onProgress?: (dataset: DatasetView) => void;
}

const FINISHED = new Set(['succeeded', 'failed', 'canceled']);

/** `client.datasets`: labelled synthetic datasets (POST/GET /v1/datasets…). */
export class DatasetClient {
  constructor(private readonly http: HttpTransport) {}

  /** Submits a spec; the farm expands it into items lazily and renders them in batches. */
  create(spec: DatasetSpec, options: { signal?: AbortSignal } = {}): Promise<DatasetView> {
    return this.http.json<DatasetView>('/v1/datasets', { method: 'POST', body: spec, signal: options.signal });
  }

  get(id: string, options: { signal?: AbortSignal } = {}): Promise<DatasetView> {
    return this.http.json<DatasetView>(`/v1/datasets/${encodeURIComponent(id)}`, { signal: options.signal });
  }

  /** The tenant's datasets, newest first. */
  async list(options: { limit?: number; signal?: AbortSignal } = {}): Promise<DatasetView[]> {
    const q = options.limit ? `?limit=${options.limit}` : '';
    return (await this.http.json<DatasetList>(`/v1/datasets${q}`, { signal: options.signal })).data;
  }

  cancel(id: string, options: { signal?: AbortSignal } = {}): Promise<DatasetView> {
    return this.http.json<DatasetView>(`/v1/datasets/${encodeURIComponent(id)}/cancel`, { method: 'POST', signal: options.signal });
  }

  /** Polls until the dataset succeeded, failed or was canceled. */
  async wait(id: string, options: DatasetWaitOptions = {}): Promise<DatasetView> {
    for (;;) {
      const dataset = await this.get(id, { signal: options.signal });
      options.onProgress?.(dataset);
      if (FINISHED.has(dataset.status)) return dataset;
      await pause(options.pollMs ?? 1000, options.signal);
    }
  }

  /**
   * The manifest lines recorded so far, in the order items finished (readable while the dataset
   * runs); `from`: how many lines the caller already has (it gets only the newer ones).
   */
  async manifestLines(id: string, options: { from?: number; signal?: AbortSignal } = {}): Promise<Record<string, unknown>[]> {
    const q = options.from ? `?from=${options.from}` : '';
    const response = await this.http.send(`/v1/datasets/${encodeURIComponent(id)}/manifest${q}`, { signal: options.signal, headers: { accept: 'application/x-ndjson' } });
    return (await response.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Image `index` of the set (PNG bytes). */
  async image(id: string, index: number, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const response = await this.http.send(`/v1/datasets/${encodeURIComponent(id)}/images/${index}`, { signal: options.signal, headers: { accept: '*/*' } });
    return new Uint8Array(await response.arrayBuffer());
  }

  /** A file of a finished set by its signed URL (manifest, annotations, summary). */
  async file(url: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const response = await this.http.send(url, { signal: options.signal, headers: { accept: '*/*' } });
    return new Uint8Array(await response.arrayBuffer());
  }
}
