import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError } from './errors.js';
import type { RegionPromptHints } from './region-prompts.js';

// model.json is checked by hand, not with zod: loading zod doubles the start-up of a
// process that renders one image (`flowfarm generate`, bench/process-start.ts). The messages
// are the ones zod gives ("files.clip: Invalid input: expected string, received undefined").

/** `models/<name>/model.json`: what the pipeline needs to know about a model folder (other keys are kept). */
export interface ModelManifest {
  name: string;
  /** schnell: no guidance input, no sigma shift; dev: guidance input + resolution-dependent shift */
  variant: 'schnell' | 'dev';
  description?: string;
  files: {
    clip: string;
    t5: string;
    transformer: string;
    vaeDecoder: string;
    /** optional: images [B,3,H,W] in [-1,1] → latent [B,C,H/8,W/8]; enables encodeImage (image-to-image) */
    vaeEncoder?: string;
  };
  tokenizers: { clip: string; t5: string };
  textLengths: { clip: number; t5: number };
  latentChannels: number;
  vae: { scalingFactor: number; shiftFactor: number };
  steps: { default: number; min: number; max: number };
  resolution: { min: number; max: number; multiple: number };
  defaultSize: { width: number; height: number };
  /** the size whose pixel count aspect ratios keep (default: defaultSize); ultra is 4x its pixels */
  baseSize?: { width: number; height: number };
  /** most pixels one image may have (default: resolution.max²) */
  maxPixels?: number;
  /** a model (folder name) with a less processed look that `raw: true` jobs run on */
  rawVariant?: string;
  /** how `ultra` renders: natively at the large size (models whose position ids generalize), or base → upscale → image-to-image */
  ultra?: { mode: 'native' | 'refine'; strength?: number };
  /**
   * how a width x height above the base pixel count renders: natively (default), or like ultra's
   * refine mode — first at the base pixel count with the same aspect ratio (at the nearest trained
   * size), then stretched and refined at the asked size with image-to-image at `strength`. For a
   * model that composes well only near its base size (tiny-shapes: docs/creative-controls.md).
   */
  highResolution?: { mode: 'native' | 'refine'; strength?: number };
  /**
   * the sizes the model was trained at (its "buckets"). When given, a size that `aspectRatio` or
   * `ultra` picks and that is not one of them is rendered at the nearest of them (ratio first,
   * then pixel count) and resampled to the picked size: a model that never saw 80x48 draws its
   * shapes badly there but well at 96x64 (docs/creative-controls.md). Without it every size
   * renders natively.
   */
  trainedSizes?: Array<{ width: number; height: number }>;
  guidance?: { default: number };
  /**
   * optional output check: an image classifier (images [B,3,H,W] in [0,1] → scores [B,labels]
   * as probabilities) run on every decoded image; a score at or over its label's threshold
   * flags the image (the worker then stores nothing and the job ends `moderated`).
   */
  moderation?: {
    classifier: string;
    labels: string[];
    thresholds: Record<string, number>;
    /** larger images are shrunk by a whole factor (box filter) until their longer side fits: the sizes the classifier knows */
    maxSide?: number;
    description?: string;
  };
  /** words the layout path may use in object rows' prompts (region-prompts.ts); none: prompts kept but for placement words */
  regionPrompts?: RegionPromptHints;
  [key: string]: unknown;
}

/** What a value is, in zod's words ("received null"). */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

type Check = (value: unknown, path: string, issues: string[]) => void;
const at = (path: string, key: string) => (path ? `${path}.${key}` : key);

function optional(check: Check): Check & { optional: true } {
  return Object.assign((value: unknown, path: string, issues: string[]) => {
    if (value !== undefined) check(value, path, issues);
  }, { optional: true as const });
}

function string(minLength = 0): Check {
  return (value, path, issues) => {
    if (typeof value !== 'string') issues.push(`${path}: Invalid input: expected string, received ${kind(value)}`);
    else if (value.length < minLength) issues.push(`${path}: Too small: expected string to have >=${minLength} characters`);
  };
}

function number(rules: { int?: boolean; gt?: number; min?: number; max?: number } = {}): Check {
  return (value, path, issues) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) issues.push(`${path}: Invalid input: expected number, received ${kind(value)}`);
    else if (rules.int && !Number.isInteger(value)) issues.push(`${path}: Invalid input: expected int, received number`);
    else {
      if (rules.gt !== undefined && !(value > rules.gt)) issues.push(`${path}: Too small: expected number to be >${rules.gt}`);
      if (rules.min !== undefined && value < rules.min) issues.push(`${path}: Too small: expected number to be >=${rules.min}`);
      if (rules.max !== undefined && value > rules.max) issues.push(`${path}: Too big: expected number to be <=${rules.max}`);
    }
  };
}

function oneOf(options: readonly string[]): Check {
  return (value, path, issues) => {
    if (typeof value !== 'string' || !options.includes(value)) issues.push(`${path}: Invalid option: expected one of ${options.map((o) => `"${o}"`).join('|')}`);
  };
}

function object(shape: Record<string, Check>, refine?: (value: Record<string, unknown>) => string | undefined): Check {
  return (value, path, issues) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push(`${path || '(root)'}: Invalid input: expected object, received ${kind(value)}`);
      return;
    }
    const before = issues.length;
    for (const [key, check] of Object.entries(shape)) check((value as Record<string, unknown>)[key], at(path, key), issues);
    // as zod: the refinement runs unless a field has the wrong type (a size issue does not stop it)
    const wrongType = issues.slice(before).some((issue) => /: Invalid (input|option)/.test(issue));
    const refined = wrongType ? undefined : refine?.(value as Record<string, unknown>);
    if (refined) issues.push(`${path || '(root)'}: ${refined}`);
  };
}

function array(item: Check, minItems: number): Check {
  return (value, path, issues) => {
    if (!Array.isArray(value)) {
      issues.push(`${path}: Invalid input: expected array, received ${kind(value)}`);
      return;
    }
    value.forEach((v, i) => item(v, at(path, String(i)), issues));
    if (value.length < minItems) issues.push(`${path}: Too small: expected array to have >=${minItems} items`);
  };
}

function record(item: Check): Check {
  return (value, path, issues) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push(`${path}: Invalid input: expected record, received ${kind(value)}`);
      return;
    }
    for (const [key, v] of Object.entries(value)) item(v, at(path, key), issues);
  };
}

const positiveInt = number({ int: true, gt: 0 });
const size = object({ width: positiveInt, height: positiveInt });

const checkManifest = object({
  name: string(1),
  variant: oneOf(['schnell', 'dev']),
  description: optional(string()),
  files: object({ clip: string(), t5: string(), transformer: string(), vaeDecoder: string(), vaeEncoder: optional(string()) }),
  tokenizers: object({ clip: string(), t5: string() }),
  textLengths: object({ clip: positiveInt, t5: positiveInt }),
  latentChannels: positiveInt,
  vae: object({ scalingFactor: number({ gt: 0 }), shiftFactor: number() }),
  steps: object({ default: positiveInt, min: positiveInt, max: positiveInt }),
  resolution: object({ min: positiveInt, max: positiveInt, multiple: positiveInt }),
  defaultSize: size,
  baseSize: optional(size),
  maxPixels: optional(positiveInt),
  rawVariant: optional(string(1)),
  ultra: optional(object({ mode: oneOf(['native', 'refine']), strength: optional(number({ gt: 0, max: 1 })) })),
  highResolution: optional(object({ mode: oneOf(['native', 'refine']), strength: optional(number({ gt: 0, max: 1 })) })),
  trainedSizes: optional(array(size, 1)),
  guidance: optional(object({ default: number() })),
  regionPrompts: optional(object({
    sizes: optional(array(object({ word: string(1), halfExtent: number({ gt: 0 }), synonyms: optional(array(string(1), 0)) }), 1)),
    mode: optional(oneOf(['regional', 'collage'])),
    collageStrength: optional(number({ min: 0, max: 1 })),
  })),
  moderation: optional(object(
    {
      classifier: string(),
      labels: array(string(1), 1),
      thresholds: record(number({ min: 0, max: 1 })),
      maxSide: optional(positiveInt),
      description: optional(string()),
    },
    (m) => ((m.labels as string[]).every((label) => label in (m.thresholds as object)) ? undefined : 'moderation.thresholds needs a threshold for every label'),
  )),
});

/** The problems of a parsed model.json, one "path: message" each; empty when it is valid. */
export function manifestIssues(raw: unknown): string[] {
  const issues: string[] = [];
  checkManifest(raw, '', issues);
  return issues;
}

export function readManifest(dir: string): ModelManifest {
  const file = path.join(dir, 'model.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelLoadError(`${file}: cannot read model manifest (${(err as Error).message})`);
  }
  const issues = manifestIssues(raw);
  if (issues.length) throw new ModelLoadError(`${file}: invalid model manifest: ${issues.join('; ')}`);
  const m = raw as ModelManifest;
  if (m.resolution.multiple % 16 !== 0) {
    throw new ModelLoadError(`${file}: resolution.multiple must be a multiple of 16 (2x2 patches of 1/8 latents)`);
  }
  return m;
}

/** Names of the subfolders of `modelsRoot` that hold a model.json, sorted. */
export function listModelDirs(modelsRoot: string): string[] {
  if (!existsSync(modelsRoot)) return [];
  return readdirSync(modelsRoot, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(modelsRoot, e.name, 'model.json')))
    .map((e) => e.name)
    .sort();
}
