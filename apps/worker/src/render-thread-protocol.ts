import type { GenerateRequest, GenerateResult, ModelManifest, ProviderInfo } from '@flowfarm/pipeline';

/** A render request as it crosses to the thread: image-to-image carries the starting file's bytes. */
export type ThreadRenderRequest = GenerateRequest & { initImage?: Uint8Array };

/** Messages from the worker's main thread to a render thread. */
export type ThreadRequest = { type: 'render'; id: number; requests: ThreadRenderRequest[] } | { type: 'abort'; id: number };

/** Messages from a render thread to the main thread. */
export type ThreadReply =
  | { type: 'ready'; name: string; manifest: ModelManifest; loadMs: number; providerInfo: ProviderInfo }
  | { type: 'load-error'; message: string }
  | { type: 'progress'; id: number; step: number; total: number }
  | { type: 'result'; id: number; results: GenerateResult[] }
  | { type: 'error'; id: number; name: string; message: string };
