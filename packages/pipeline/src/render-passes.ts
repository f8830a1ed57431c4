// Renders of more than one pass, built on FlowModel.generateBatch: Ultra in refine mode (a base
// render, stretched and refined at the large size) and layouts in collage mode (tiles, composite,
// optional refine). generateBatch sends such requests here and handles every other one itself.
import { collageTilePrompts, composeCollage } from './collage.js';
import { PipelineInputError } from './errors.js';
import type { FlowModel } from './flow-model.js';
import type { ModelManifest } from './manifest.js';
import { decodePngRgb } from './png.js';
import { DEFAULT_REGIONAL, type RegionalOptions } from './regional-guidance.js';
import { imageSeed } from './resolve.js';
import { nearestTrainedSize } from './trained-sizes.js';
import { stepsAtStrength } from '@flowfarm/contracts/plain';
import { OnnxClock } from './session.js';
import type { GenerateOptions, GenerateRequest, GenerateResult, GeneratedImage, ResolvedRequest, StageTimings } from './types.js';

/** Strength of ultra's refine pass when the manifest gives none (measured best on tiny-shapes v1: docs/creative-controls.md). */
export const DEFAULT_ULTRA_REFINE_STRENGTH = 0.3;

/** A layout request's options: the layout's mode, then `regional`, then the model's (model.json regionPrompts), then the defaults. */
export function regionalOptionsFor(manifest: ModelManifest, r: ResolvedRequest): Required<RegionalOptions> {
  const hints = manifest.regionPrompts;
  return {
    ...DEFAULT_REGIONAL,
    ...(hints?.mode ? { mode: hints.mode } : {}),
    ...(hints?.collageStrength !== undefined ? { collageStrength: hints.collageStrength } : {}),
    ...r.regional,
    ...(r.layout?.mode ? { mode: r.layout.mode } : {}),
  };
}

/** highResolution refine: sizes of more than this many times the base pixel count render in two passes. */
export const LARGE_SIZE_FACTOR = 1.5;

function basePixels(m: ModelManifest): number {
  const base = m.baseSize ?? m.defaultSize;
  return base.width * base.height;
}

/** What decides whether a request renders in two passes. */
type TwoPassQuery = Pick<ResolvedRequest, 'width' | 'height' | 'ultra' | 'init' | 'layout'>;

/**
 * Whether a request renders in two passes (refinePass): `ultra` on a model whose manifest says
 * `ultra: {mode: "refine"}`, or a width x height of more than LARGE_SIZE_FACTOR times the base
 * pixel count on one whose manifest says `highResolution: {mode: "refine"}`. Not image-to-image
 * (it has its own start) or layouts (collage mode composes them at their own size).
 */
export function rendersInTwoPasses(manifest: ModelManifest, r: TwoPassQuery): boolean {
  if (r.init || r.layout) return false;
  if (r.ultra) return manifest.ultra?.mode === 'refine';
  return manifest.highResolution?.mode === 'refine' && r.width * r.height > LARGE_SIZE_FACTOR * basePixels(manifest);
}

/** The refining pass's strength: the manifest's `ultra.strength` or `highResolution.strength`, default 0.3. */
function refineStrength(manifest: ModelManifest, ultra: boolean): number {
  return (ultra ? manifest.ultra?.strength : manifest.highResolution?.strength) ?? DEFAULT_ULTRA_REFINE_STRENGTH;
}

/** Progress steps of a text-to-image request: its steps, and the refining pass's when it renders in two passes. */
export function progressSteps(manifest: ModelManifest, r: TwoPassQuery & { steps: number }): number {
  return rendersInTwoPasses(manifest, r) ? r.steps + stepsAtStrength(r.steps, refineStrength(manifest, r.ultra === true)) : r.steps;
}

/**
 * The first pass's size for a large width x height: the base pixel count at the same aspect
 * ratio, on the resolution grid, or the trained size nearest it when the model lists some that
 * small (never one that would itself render in two passes).
 */
export function firstPassSize(manifest: ModelManifest, width: number, height: number): { width: number; height: number } {
  const { min, max, multiple } = manifest.resolution;
  const k = Math.sqrt(basePixels(manifest) / (width * height));
  const side = (v: number) => Math.min(max, Math.max(min, Math.round((v * k) / multiple) * multiple));
  const small = manifest.trainedSizes?.filter((t) => t.width * t.height <= LARGE_SIZE_FACTOR * basePixels(manifest));
  return nearestTrainedSize({ width: side(width), height: side(height) }, small, width / height);
}

/**
 * Two passes (rendersInTwoPasses): each request renders at the base size first (its aspect ratio
 * kept; no palette, watermark or lossy format yet), each image is stretched to the asked size,
 * encoded with the VAE encoder, and refined there with image-to-image at the manifest's strength
 * (`ultra.strength` or `highResolution.strength`, default 0.3), same prompt and seed; palette,
 * watermark and format apply to the refined image. Progress counts both passes. Measured
 * against native rendering in docs/creative-controls.md (eval:creative ultra-refine).
 */
export async function refinePass(model: FlowModel, reqs: GenerateRequest[], resolved: ResolvedRequest[], opts: GenerateOptions): Promise<GenerateResult[]> {
  const ultra = resolved[0].ultra === true;
  const what = ultra ? 'ultra in refine mode' : 'highResolution in refine mode';
  if (!model.canEncodeImages) throw new PipelineInputError(`${what} needs the model's VAE encoder (files.vaeEncoder)`);
  const strength = refineStrength(model.manifest, ultra);
  const { width, height, steps } = resolved[0];
  // the refine pass runs at the trained size nearest the ultra size when the model lists them
  const refineSize = resolved[0].renderSize ?? { width, height };
  const total = progressSteps(model.manifest, resolved[0]);
  // ultra: the aspect ratio's base size; a large width x height: firstPassSize
  const firstSize = ultra ? { aspectRatio: reqs[0].aspectRatio ?? '1:1', width: undefined, height: undefined } : { aspectRatio: undefined, ...firstPassSize(model.manifest, width, height) };
  const base = await model.generateBatch(
    reqs.map((r, i) => ({
      ...r, ultra: false, ...firstSize, seed: resolved[i].seed,
      palette: undefined, paletteEdges: undefined, watermarks: undefined, outputFormat: 'png', outputQuality: undefined, stage: undefined,
    })),
    { signal: opts.signal, onProgress: (p) => opts.onProgress?.({ step: p.step, total }) },
  );
  const { initFromImageFile } = await import('./image-file-input.js');
  const second: GenerateRequest[] = [];
  const owner: number[] = [];
  for (const [i, result] of base.entries()) {
    for (const [k, image] of result.images.entries()) {
      second.push({
        ...reqs[i], seed: image.seed, numImages: 1, ...(ultra ? { width: undefined, height: undefined, ultra: true } : { width, height }), ultraRefine: true,
        init: await initFromImageFile(model, image.data, refineSize.width, refineSize.height), strength,
        ...(reqs[i].watermarks ? { watermarks: [reqs[i].watermarks![k]] } : {}),
      });
      owner.push(i);
    }
  }
  const refined = await model.generateBatch(second, { signal: opts.signal, onProgress: (p) => opts.onProgress?.({ step: steps + p.step, total }) });
  return resolved.map((request, i) => {
    const mine = refined.filter((_, j) => owner[j] === i);
    const sum = (f: (t: StageTimings) => number) => f(base[i].timings) + mine.reduce((n, m) => n + f(m.timings), 0);
    return {
      request,
      images: mine.flatMap((m) => m.images),
      timings: {
        encodeMs: sum((t) => t.encodeMs), stepsMs: [...base[i].timings.stepsMs, ...mine.flatMap((m) => m.timings.stepsMs)], decodeMs: sum((t) => t.decodeMs),
        encodeImageMs: sum((t) => t.encodeImageMs), totalMs: sum((t) => t.totalMs), onnxMs: sum((t) => t.onnxMs),
      },
    };
  });
}

/**
 * Layouts in collage mode (collage.ts): one batch renders every image's tiles (the background
 * prompt, then each object alone at the model's largest size, same seed as the image); each
 * image's tiles are composited. At collage strength 0 the composite is the image; above 0 it
 * is encoded and refined with image-to-image at that strength (one batch per strength).
 * Palette, watermark, moderation and format apply to the final pixels; progress counts both
 * passes.
 */
export async function collagePass(model: FlowModel, reqs: GenerateRequest[], resolved: ResolvedRequest[], opts: GenerateOptions): Promise<GenerateResult[]> {
  const tStart = performance.now();
  const { width, height, steps } = resolved[0];
  const strengths = resolved.map((r) => regionalOptionsFor(model.manifest, r).collageStrength);
  if (strengths.some((s) => s > 0) && !model.canEncodeImages) {
    throw new PipelineInputError('a collage layout refined at a strength above 0 needs the model\'s VAE encoder (files.vaeEncoder)');
  }
  const tiles: GenerateRequest[] = [];
  const images: { i: number; k: number; seed: number; first: number }[] = [];
  resolved.forEach((r, i) => {
    const prompts = collageTilePrompts(r.prompt, r.layout!, { width, height, hints: model.manifest.regionPrompts });
    for (let k = 0; k < r.numImages; k++) {
      const seed = imageSeed(r.seed, k);
      images.push({ i, k, seed, first: tiles.length });
      // sized as the request asked (a trained size, resampled, when it gave an aspect ratio)
      const { width: w, height: h, aspectRatio, ultra } = reqs[i];
      for (const prompt of prompts) tiles.push({ prompt, seed, width: w, height: h, aspectRatio, ultra, steps, guidance: r.guidance, numImages: 1 });
    }
  });
  const refineSteps = Math.max(...strengths.map((s) => (s === 0 ? 0 : stepsAtStrength(steps, s))));
  const total = steps + refineSteps;
  const rendered = await model.generateBatch(tiles, { signal: opts.signal, onProgress: (p) => opts.onProgress?.({ step: p.step, total }) });
  const rgb = rendered.map((t) => decodePngRgb(t.images[0].data).rgb);
  const composites = images.map(({ i, first }) => composeCollage(rgb[first], rgb.slice(first + 1, first + 1 + resolved[i].layout!.objects.length), resolved[i].layout!, width, height));
  // what each image's file records: the request, as a collage at its strength
  const finals = images.map(({ i, k, seed }) => ({
    ...reqs[i], seed, numImages: 1, collageRefine: true, strength: strengths[i],
    ...(reqs[i].watermarks ? { watermarks: [reqs[i].watermarks![k]] } : {}),
  }));
  const out: GeneratedImage[] = new Array(images.length);
  const stepsMs = [...rendered[0].timings.stepsMs];
  let onnxMs = rendered[0].timings.onnxMs;
  const kept = images.map((_, j) => j).filter((j) => finals[j].strength === 0);
  if (kept.length) {
    const clock = new OnnxClock();
    const files = await model.outputImages(kept.map((j) => composites[j]), kept.map((j) => ({ ...model.resolve({ ...finals[j], strength: undefined }), strength: 0 })), kept.map((j) => images[j].seed), clock);
    kept.forEach((j, n) => (out[j] = files[n]));
    onnxMs += clock.ms;
  }
  const refine = images.map((_, j) => j).filter((j) => finals[j].strength > 0);
  if (refine.length) {
    const encoded = await model.encodeImage(refine.map((j) => ({ rgb: composites[j], width, height })));
    const per = encoded.latents.length / refine.length;
    refine.forEach((j, n) => Object.assign(finals[j], { init: { latents: encoded.latents.slice(n * per, (n + 1) * per) } }));
    for (const s of new Set(refine.map((j) => finals[j].strength))) {
      const group = refine.filter((j) => finals[j].strength === s);
      const done = await model.generateBatch(group.map((j) => finals[j]), { signal: opts.signal, onProgress: (p) => opts.onProgress?.({ step: steps + p.step, total }) });
      group.forEach((j, n) => (out[j] = done[n].images[0]));
      stepsMs.push(...done[0].timings.stepsMs);
      onnxMs += done[0].timings.onnxMs;
    }
  }
  const t = rendered[0].timings;
  const timings: StageTimings = { encodeMs: t.encodeMs, stepsMs, decodeMs: t.decodeMs, encodeImageMs: t.encodeImageMs, totalMs: performance.now() - tStart, onnxMs, ...(t.latents ? { latents: t.latents } : {}) };
  return resolved.map((request, i) => ({ request, images: images.flatMap((im, j) => (im.i === i ? [out[j]] : [])), timings }));
}
