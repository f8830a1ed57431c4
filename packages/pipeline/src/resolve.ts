import { randomBytes } from 'node:crypto';
import { PipelineInputError } from './errors.js';
import type { ModelManifest } from './manifest.js';
import { DEFAULT_OUTPUT_QUALITY, OUTPUT_FORMATS, type OutputFormat } from './output-image.js';
import { checkLayout } from './regional-guidance.js';
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
  const resolved: ResolvedRequest = {
    prompt: req.prompt,
    width: size('width', req.width ?? m.defaultSize.width, m),
    height: size('height', req.height ?? m.defaultSize.height, m),
    steps: intIn('steps', req.steps ?? m.steps.default, m.steps.min, m.steps.max),
    seed: req.seed === undefined ? randomSeed() : intIn('seed', req.seed, 0, 0xffffffff),
    numImages: intIn('numImages', req.numImages ?? 1, 1, MAX_IMAGES_PER_REQUEST),
    ...resolveOutputFormat(req),
  };
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
