// The values and pure functions of the contracts that need no zod: `@flowfarm/contracts/plain`.
// Code that must start fast imports them from here — `flowfarm generate` and the pipeline
// would otherwise load zod and build every schema of the API (a third of the command's
// start-up, bench/process-start.ts). The main entry re-exports all of it unchanged.
import type { StyleDefaults, StylePreset } from './styles.js';

/** Aspect ratios a job may name (BFL's ultra API accepts the same strings). */
export const ASPECT_RATIOS = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '21:9', '9:21'] as const;

/**
 * How many of `steps` an image-to-image pass at `strength` runs: the last ⌊steps·strength⌋, at
 * least one (as diffusers' FluxImg2ImgPipeline). Shared by the pipeline, the job's progress total
 * and the evals, so they count alike.
 */
export function stepsAtStrength(steps: number, strength: number): number {
  return Math.min(steps, Math.max(1, Math.floor(steps * strength + 1e-9)));
}

/** How many times the base pixel count `ultra: true` renders. */
export const ULTRA_PIXEL_FACTOR = 4;

export interface SizeLimits {
  resolution: { min: number; max: number; multiple: number };
  /** the size whose pixel count aspect ratios keep */
  base: { width: number; height: number };
  /** most pixels (width × height) the model may render */
  maxPixels: number;
}

/**
 * The size for an aspect ratio near the base pixel count (times ULTRA_PIXEL_FACTOR with ultra):
 * among the sides the model allows (multiples of `multiple` in [min, max]) with at most the
 * target pixels and at most maxPixels, the pair whose ratio is closest to the asked one (in log
 * space), then the one with most pixels. Returns null when no allowed size fits.
 */
export function sizeForAspectRatio(ratio: (typeof ASPECT_RATIOS)[number], ultra: boolean, limits: SizeLimits): { width: number; height: number } | null {
  const [a, b] = ratio.split(':').map(Number);
  const target = Math.min(limits.base.width * limits.base.height * (ultra ? ULTRA_PIXEL_FACTOR : 1), limits.maxPixels);
  const { min, max, multiple } = limits.resolution;
  const first = Math.ceil(min / multiple) * multiple;
  let best: { width: number; height: number; error: number; pixels: number } | null = null;
  for (let width = first; width <= max; width += multiple) {
    for (let height = first; height <= max; height += multiple) {
      const pixels = width * height;
      // within 12.5% over the target counts as "near": rounding to the grid may need it
      if (pixels > target * 1.125 || pixels > limits.maxPixels) continue;
      const error = Math.abs(Math.log(width / height) - Math.log(a / b)) + Math.abs(Math.log(pixels / target)) * 0.5;
      if (!best || error < best.error - 1e-9 || (Math.abs(error - best.error) <= 1e-9 && pixels > best.pixels)) best = { width, height, error, pixels };
    }
  }
  return best && { width: best.width, height: best.height };
}

/** Most colors a palette may have. */
export const MAX_PALETTE_COLORS = 8;

/** Strength of image-to-image when a job gives `image` but no `strength`. */
export const DEFAULT_IMAGE_STRENGTH = 0.6;

/**
 * Strength of a chain stage after the first when it gives none. Higher than
 * DEFAULT_IMAGE_STRENGTH: a stage exists to change something (a background, the light), and on
 * a 4-step schedule 0.6 runs 2 of 4 steps, which leaves the previous image's large areas in
 * place — tiny-shapes' final image of a background-changing chain is right 55 % of the time at
 * 0.6 and 75 % at 0.75 (3 of 4 steps), while keeping the first stage's shape, color and place
 * as often (docs/creative-controls.md, eval:creative chain).
 */
export const DEFAULT_STAGE_STRENGTH = 0.75;

/** Priority classes, highest first. Within a tenant's fair share a higher class runs first. */
export const JOB_PRIORITIES = ['high', 'normal', 'low'] as const;

/** Longest `start_timeout` (and `Cancel-After`) accepted: one day. */
export const MAX_START_TIMEOUT_SECONDS = 86_400;
/** Shortest `Cancel-After`, as Replicate defines it. */
export const MIN_CANCEL_AFTER_SECONDS = 5;

/**
 * `Cancel-After` as Replicate defines it: a duration with optional unit suffixes, `s` (the
 * default), `m`, `h`, combinable (`90`, `30s`, `5m`, `1h30m45s`), at least 5 seconds. Returns
 * seconds, or null when the value is not such a duration.
 */
export function parseCancelAfter(value: string): number | null {
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text);
  const match = /^(?:(\d{1,6})h)?(?:(\d{1,7})m)?(?:(\d{1,9})s)?$/.exec(text);
  if (!match || text === '') return null;
  const [, h, m, s] = match;
  return Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
}

/**
 * Built-in presets, written for the FLUX.1 interface and useful on tiny-shapes, whose grammar
 * is "[size] color shape, position, background": each template completes a short prompt such as
 * "red circle" into a full one the model is made for.
 */
export const BUILTIN_STYLES: readonly StylePreset[] = [
  { name: 'sticker', source: 'builtin', description: 'one big centered shape on white', prompt_template: 'a large {prompt} in the center on a white background', defaults: {} },
  { name: 'icon', source: 'builtin', description: 'a small centered shape on black, square', prompt_template: 'a small {prompt} in the center on a black background', defaults: { aspect_ratio: '1:1' } },
  { name: 'banner', source: 'builtin', description: 'wide 21:9 header with the shape on the left', prompt_template: 'a large {prompt} on the left on a blue background', defaults: { aspect_ratio: '21:9' } },
  { name: 'monochrome', source: 'builtin', description: 'black and white only (palette lock)', prompt_template: '{prompt}', defaults: { palette: ['#141414', '#f5f5f5'] } },
  { name: 'brand', source: 'builtin', description: 'a four-color brand palette, more steps', prompt_template: '{prompt}', defaults: { palette: ['#1d3557', '#e63946', '#f1faee', '#ffb703'], steps: 8 } },
];

export function builtinStyle(name: string): StylePreset | undefined {
  return BUILTIN_STYLES.find((s) => s.name === name);
}

/**
 * A preset applied to a job's fields: the prompt put into the template and each default the
 * job left out filled in. Pure, so the API and the local CLI apply presets the same way.
 */
export function applyStyle<T extends { prompt: string } & Partial<Record<keyof StyleDefaults, unknown>> & { width?: number; height?: number }>(
  input: T,
  preset: StylePreset,
): { input: T; prompt: string; applied: string[] } {
  const out: Record<string, unknown> = { ...input };
  const applied: string[] = [];
  const sized = input.width !== undefined || input.height !== undefined;
  for (const [key, value] of Object.entries(preset.defaults) as [keyof StyleDefaults, unknown][]) {
    if (value === undefined || out[key] !== undefined) continue;
    // a job that gives its own size keeps it: a preset's aspect ratio or ultra would conflict
    if ((key === 'aspect_ratio' || key === 'ultra') && sized) continue;
    out[key] = value;
    applied.push(key);
  }
  return { input: out as T, prompt: preset.prompt_template.split('{prompt}').join(input.prompt), applied };
}
