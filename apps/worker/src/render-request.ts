import type { RenderJobData } from '@flowfarm/queue';

import type { OutputFormat } from '@flowfarm/contracts';
import type { ThreadRenderRequest } from './render-thread-protocol.js';

/**
 * File name extension of each output format in storage keys (downloads get their type from it).
 * Kept here rather than imported from the pipeline, whose value imports would load
 * onnxruntime-node on the worker's main thread.
 */
export const FILE_EXTENSIONS: Record<OutputFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/**
 * The pipeline request of a queued job (jobs queued before output formats existed render png).
 * `initImage` is the starting image's file for image-to-image, read from storage by the caller.
 */
export function renderRequestOf(data: RenderJobData, initImage?: Uint8Array, stage?: { index: number; count: number }): ThreadRenderRequest {
  const r = data.request;
  return {
    prompt: r.prompt, width: r.width, height: r.height, steps: r.steps, guidance: r.guidance, seed: r.seed, numImages: r.numImages,
    outputFormat: r.outputFormat ?? data.outputFormat ?? 'png',
    ...(r.outputQuality === undefined ? {} : { outputQuality: r.outputQuality }),
    ...(r.aspectRatio === undefined ? {} : { aspectRatio: r.aspectRatio }),
    ...(r.ultra ? { ultra: true } : {}),
    ...(r.palette ? { palette: r.palette } : {}),
    ...(r.style !== undefined ? { style: r.style } : {}),
    ...(r.raw ? { raw: true } : {}),
    ...(r.layout ? { layout: r.layout } : {}),
    ...(r.strength === undefined ? {} : { strength: r.strength }),
    ...(r.image ? { inputImageSha256: r.image.sha256 } : {}),
    ...(initImage ? { initImage } : {}),
    ...(stage ? { stage } : {}),
  };
}
