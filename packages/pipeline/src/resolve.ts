import { randomBytes } from 'node:crypto';
import { PipelineInputError } from './errors.js';
import { ASPECT_RATIOS, MAX_PALETTE_COLORS, sizeForAspectRatio } from '@flowfarm/contracts/plain';
import type { ModelManifest } from './manifest.js';

import { DEFAULT_OUTPUT_QUALITY, OUTPUT_FORMATS, type OutputFormat } from './output-image.js';
import { checkLayout } from './regional-guidance.js';
import { nearestTrainedSize } from './trained-sizes.js';
import type { GenerateRequest, ResolvedRequest } from './types.js';

const MAX_PROMPT_CHARS = 2000;
export const MAX_IMAGES_PER_REQUEST = 4;

function intIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new PipelineInputError(`${name} must be an integer from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

function size(name: string, value: number, m: ModelManifest): number {
  const { min, max, multiple } = m.resolution;
  intIn(name, value, min, max);
  if (value % multiple !== 0) {
    throw new PipelineInputError(`${name} must be a multiple of ${multiple} (got ${value})`);
  }
  return value;
}

export function randomSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}

/** Seed of image k of a request: seed+k, wrapped to 32 bits. */
export function imageSeed(seed: number, k: number): number {
  return (seed + k) >>> 0;
}

/** Fills defaults from the manifest and checks limits; throws PipelineInputError. */
export function resolveRequest(req: GenerateRequest, m: ModelManifest): ResolvedRequest {
  if (typeof req.prompt !== 'string') throw new PipelineInputError('prompt must be a string');
  if (req.prompt.length > MAX_PROMPT_CHARS) {
    throw new PipelineInputError(`prompt is longer than ${MAX_PROMPT_CHARS} characters`);
  }
  const sized = sizeOf(req, m);
  const resolved: ResolvedRequest = {
    prompt: req.prompt,
    width: size('width', sized.width, m),
    height: size('height', sized.height, m),
    steps: intIn('steps', req.steps ?? m.steps.default, m.steps.min, m.steps.max),
    seed: req.seed === undefined ? randomSeed() : intIn('seed', req.seed, 0, 0xffffffff),
    numImages: intIn('numImages', req.numImages ?? 1, 1, MAX_IMAGES_PER_REQUEST),
    ...resolveOutputFormat(req),
    ...(req.aspectRatio === undefined ? {} : { aspectRatio: req.aspectRatio }),
    ...(req.ultra ? { ultra: true } : {}),
    ...resolvePalette(req),
    ...(typeof req.style === 'string' ? { style: req.style } : {}),
    ...(req.raw ? { raw: true } : {}),
    ...resolveStrength(req),
    ...(typeof req.inputImageSha256 === 'string' ? { inputImageSha256: req.inputImageSha256 } : {}),
    ...resolveStage(req),
    ...(req.ultraRefine ? { ultraRefine: true } : {}),
    ...(req.collageRefine ? { collageRefine: true } : {}),
  };
  const render = renderSizeOf(req, resolved, m);
  if (render) resolved.renderSize = render;
  if (resolved.width * resolved.height > (m.maxPixels ?? m.resolution.max ** 2)) {
    throw new PipelineInputError(`${resolved.width}x${resolved.height} is more than the model's ${m.maxPixels} pixels`);
  }
  if (req.watermarks !== undefined) {
    if (req.watermarks.length < resolved.numImages || !req.watermarks.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new PipelineInputError('watermarks must hold one 32-bit unsigned payload per image');
    }
    resolved.watermarks = req.watermarks;
  }
  if (req.layout !== undefined) {
    checkLayout(req.layout);
    resolved.layout = req.layout;
    if (req.regional) resolved.regional = req.regional;
  }
  if (m.variant === 'dev') {
    const g = req.guidance ?? m.guidance?.default ?? 3.5;
    if (!Number.isFinite(g) || g < 0 || g > 100) throw new PipelineInputError(`guidance must be from 0 to 100 (got ${g})`);
    resolved.guidance = g;
  }
  return resolved;
}

function resolveOutputFormat(req: GenerateRequest): { outputFormat: OutputFormat; outputQuality?: number } {
  const format = req.outputFormat ?? 'png';
  if (!OUTPUT_FORMATS.includes(format)) throw new PipelineInputError(`outputFormat must be one of ${OUTPUT_FORMATS.join(', ')} (got ${String(format)})`);
  if (format === 'png') return { outputFormat: format };
  return { outputFormat: format, outputQuality: intIn('outputQuality', req.outputQuality ?? DEFAULT_OUTPUT_QUALITY, 1, 100) };
}

/** Width and height: given, or from aspectRatio/ultra near the manifest's base pixel count. */
function sizeOf(req: GenerateRequest, m: ModelManifest): { width: number; height: number } {
  if (req.aspectRatio === undefined && !req.ultra) return { width: req.width ?? m.defaultSize.width, height: req.height ?? m.defaultSize.height };
  const ratio = req.aspectRatio ?? '1:1';
  if (!ASPECT_RATIOS.includes(ratio)) throw new PipelineInputError(`aspectRatio must be one of ${ASPECT_RATIOS.join(', ')} (got ${String(ratio)})`);
  const sized = sizeForAspectRatio(ratio, req.ultra === true, { resolution: m.resolution, base: m.baseSize ?? m.defaultSize, maxPixels: m.maxPixels ?? m.resolution.max ** 2 });
  if (!sized) throw new PipelineInputError(`the model has no size for aspect ratio ${ratio}${req.ultra ? ' with ultra' : ''}`);
  // a size given as well must be the one the ratio picks (the API passes both, resolved)
  if ((req.width !== undefined && req.width !== sized.width) || (req.height !== undefined && req.height !== sized.height)) {
    throw new PipelineInputError(`aspectRatio ${ratio}${req.ultra ? ' with ultra' : ''} means ${sized.width}x${sized.height}; leave width and height out`);
  }
  return sized;
}

/**
 * Where a size that aspectRatio/ultra picked renders when the model was not trained at it: the
 * nearest trained size (trained-sizes.ts). Sizes given as width/height render as given, and so
 * does image-to-image from a caller's latents (encoded at the job's size); ultra's own refine
 * pass encodes its latents at this size (flow-model.ts).
 */
function renderSizeOf(req: GenerateRequest, r: ResolvedRequest, m: ModelManifest): { width: number; height: number } | undefined {
  if (req.aspectRatio === undefined && !req.ultra) return undefined;
  if (req.init && !req.ultraRefine) return undefined;
  const [a, b] = (req.aspectRatio ?? '1:1').split(':').map(Number);
  const render = nearestTrainedSize({ width: r.width, height: r.height }, m.trainedSizes, a / b);
  return render.width === r.width && render.height === r.height ? undefined : render;
}

function resolvePalette(req: GenerateRequest): { palette?: string[]; paletteEdges?: 'hard' | 'edges' } {
  if (req.palette === undefined) return {};
  if (req.raw) throw new PipelineInputError('raw renders without palette processing; leave palette out');
  if (!Array.isArray(req.palette) || req.palette.length < 1 || req.palette.length > MAX_PALETTE_COLORS) {
    throw new PipelineInputError(`palette must have 1 to ${MAX_PALETTE_COLORS} colors`);
  }
  const bad = req.palette.find((c) => typeof c !== 'string' || !/^#[0-9a-fA-F]{6}$/.test(c));
  if (bad !== undefined) throw new PipelineInputError(`palette colors must be #rrggbb (got ${String(bad)})`);
  const edges = req.paletteEdges ?? 'hard';
  if (edges !== 'hard' && edges !== 'edges') throw new PipelineInputError(`paletteEdges must be hard or edges (got ${String(edges)})`);
  return { palette: req.palette.map((c) => c.toLowerCase()), ...(edges === 'hard' ? {} : { paletteEdges: edges }) };
}

/** Prompt chaining: which stage of how many this render is (recorded in the file). */
function resolveStage(req: GenerateRequest): { stage?: { index: number; count: number } } {
  if (req.stage === undefined) return {};
  const { index, count } = req.stage;
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || count < 1 || index >= count) throw new PipelineInputError('stage must be {index, count} with 0 <= index < count');
  return { stage: { index, count } };
}

function resolveStrength(req: GenerateRequest): { strength?: number; init?: { latents: Float32Array } } {
  if (req.strength === undefined && req.init === undefined) return {};
  const strength = req.strength ?? 1;
  if (typeof strength !== 'number' || !(strength > 0 && strength <= 1)) throw new PipelineInputError(`strength must be in (0, 1] (got ${String(strength)})`);
  if (strength < 1 && !req.init) throw new PipelineInputError('strength below 1 needs a starting image (init)');
  return { strength, ...(req.init ? { init: req.init } : {}) };
}
