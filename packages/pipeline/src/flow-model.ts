import { hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ModelLoadError, PipelineInputError, abortError } from './errors.js';
import { gaussianNoise, geometryFor, imageIds, packLatents, sequenceLength, textIds, unpackLatents } from './latents.js';
import { readManifest, type ModelManifest } from './manifest.js';
import { embedWatermark } from '@flowfarm/trust/watermark';
import { imageParameters } from './image-parameters.js';
import { encodeOutputImage } from './output-image.js';
import { applyRequestPalette } from './palette-lock.js';
import { imagesToRgb8 } from './png.js';
import { imageSeed, resolveRequest } from './resolve.js';
import { startFromImages } from './image-to-image.js';
import { eulerStep, sigmaSchedule } from './schedule.js';
import { resampleRgb } from './trained-sizes.js';
import { providerLabel } from './execution-providers.js';
import { checkMemoryFit } from './memory-fit.js';
import { chooseProvider, type ProviderChoice } from './provider-selection.js';
import { ResidentSteps } from './resident-steps.js';
import { OnnxClock, SubModel, type Feed, type SessionOptions } from './session.js';
import { subModelSpecs, type SubModelName } from './tensor-specs.js';
import { PromptTokenizer } from './tokenize.js';
import { decodeLatents, encodeImages, vaeEncoderSpec, type EncodedImages, type ImageInput } from './vae-encoder.js';
import { classifierSpec, moderateImages } from './output-moderation.js';
import { layoutPrompts, RegionalRows } from './regional-guidance.js';
import { collagePass, refinePass, regionalOptionsFor, rendersInTwoPasses } from './render-passes.js';
import type { GenerateOptions, GenerateRequest, GenerateResult, GeneratedImage, ResolvedRequest, StageTimings } from './types.js';

export { DEFAULT_ULTRA_REFINE_STRENGTH } from './render-passes.js';

export const PIPELINE_VERSION = '@flowfarm/pipeline 0.1.0';

type Parts = Record<SubModelName, SubModel>;

/** Where a model runs, as reported to the worker's heartbeat, logs and metrics. */
export interface ProviderInfo {
  /** e.g. cpu, webgpu, cuda:0 */
  provider: string;
  /** providers earlier in the preference list that could not start, one line each */
  skipped: string[];
  /** where latents live between flow steps */
  latents: 'host' | 'device';
  /** why latents stay on the host on a GPU provider */
  latentsNote?: string;
  /** weights on disk (graphs + external data) */
  weightBytes: number;
}

/**
 * Runs `run` once per distinct key with the indexes of the requests that have it, one group after
 * the other, and returns the results in request order.
 */
async function inGroups(keys: string[], run: (indexes: number[], key: string) => Promise<GenerateResult[]>): Promise<GenerateResult[]> {
  const results: GenerateResult[] = new Array(keys.length);
  for (const key of new Set(keys)) {
    const indexes = keys.flatMap((k, i) => (k === key ? [i] : []));
    (await run(indexes, key)).forEach((r, j) => (results[indexes[j]] = r));
  }
  return results;
}

/** A loaded model folder: four ONNX sessions, two tokenizers and the manifest. */
export class FlowModel {
  private constructor(
    readonly name: string,
    readonly manifest: ModelManifest,
    readonly loadMs: number,
    private readonly parts: Parts,
    private readonly tokenizers: { clip: PromptTokenizer; t5: PromptTokenizer },
    readonly providerInfo: ProviderInfo,
    private readonly resident?: ResidentSteps,
    /** present when the manifest declares files.vaeEncoder (its loader when it loads on demand) */
    private readonly vaeEncoder?: SubModel | (() => Promise<SubModel>),
    /** present when the manifest declares `moderation` (the output check) */
    private readonly classifier?: SubModel,
  ) {}

  /** The on-demand encoder's session once encodeImage asked for it (a failed load is tried again). */
  private encoderLoading?: Promise<SubModel>;

  /** The encoder's session, created now when it loads on demand (vaeEncoder: 'on-demand'). */
  private encoderSession(): Promise<SubModel> | SubModel | undefined {
    const encoder = this.vaeEncoder;
    if (typeof encoder !== 'function') return encoder;
    if (!this.encoderLoading) {
      const loading = encoder();
      this.encoderLoading = loading;
      loading.catch(() => {
        if (this.encoderLoading === loading) this.encoderLoading = undefined;
      });
    }
    return this.encoderLoading;
  }

  /** The execution provider the model runs on (cpu, webgpu, cuda:0, …). */
  get provider(): string {
    return this.providerInfo.provider;
  }

  /** @internal use loadModel() */
  static async load(dir: string, requested: SessionOptions = {}): Promise<FlowModel> {
    const t0 = performance.now();
    const manifest = readManifest(dir);
    const choice = await chooseProvider(requested.executionProviders);
    const options: SessionOptions & { provider: ProviderChoice['spec'] } = { ...requested, provider: choice.spec };
    const fileOf = (rel: string, what: string) => {
      const file = path.resolve(dir, rel);
      if (!existsSync(file)) throw new ModelLoadError(`${path.join(dir, 'model.json')}: ${what} file ${file} does not exist`);
      return file;
    };
    const tokFile = { clip: fileOf(manifest.tokenizers.clip, 'tokenizers.clip'), t5: fileOf(manifest.tokenizers.t5, 'tokenizers.t5') };
    const clipTokenizer = PromptTokenizer.fromFile(tokFile.clip, manifest.textLengths.clip);
    // the same file and length give the same ids: one tokenizer, so encodeText tokenizes once
    const sameTokenizer = tokFile.t5 === tokFile.clip && manifest.textLengths.t5 === manifest.textLengths.clip;
    const tokenizers = {
      clip: clipTokenizer,
      t5: sameTokenizer ? clipTokenizer : PromptTokenizer.fromFile(tokFile.t5, manifest.textLengths.t5),
    };
    const specs = subModelSpecs(manifest);
    const names: SubModelName[] = ['clip', 't5', 'transformer', 'vaeDecoder'];
    const files = names.map((n) => fileOf(manifest.files[n], `files.${n}`));
    const fit = checkMemoryFit(manifest.name, files, choice.spec);
    const latents = latentPlacement(requested.latents ?? 'auto', choice);
    const device = latents.where === 'device' && choice.spec.name !== 'cpu';
    const encoderFile = manifest.files.vaeEncoder === undefined ? undefined : fileOf(manifest.files.vaeEncoder, 'files.vaeEncoder');
    const encoderOnDemand = requested.vaeEncoder === 'on-demand';
    const classifierFile = manifest.moderation && requested.outputModeration !== false ? fileOf(manifest.moderation.classifier, 'moderation.classifier') : undefined;
    const loaded = await Promise.allSettled([
      ...names.map((n, i) => SubModel.load(files[i], specs[n], options, n === 'transformer' && device ? { latent: 'gpu-buffer' } : undefined)),
      ...(encoderFile && !encoderOnDemand ? [SubModel.load(encoderFile, vaeEncoderSpec(manifest), options)] : []),
      ...(classifierFile ? [SubModel.load(classifierFile, classifierSpec(manifest), options)] : []),
    ]);
    const failed = loaded.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(loaded.map((r) => (r.status === 'fulfilled' ? r.value.release() : undefined)));
      throw failed.reason;
    }
    const encoder = encoderFile && !encoderOnDemand ? (loaded[names.length] as PromiseFulfilledResult<SubModel>).value : undefined;
    const classifier = classifierFile ? (loaded.at(-1) as PromiseFulfilledResult<SubModel>).value : undefined;
    const parts = Object.fromEntries(
      names.map((n, i) => [n, (loaded[i] as PromiseFulfilledResult<SubModel>).value]),
    ) as Parts;
    let resident: ResidentSteps | undefined;
    if (latents.where === 'device') {
      try {
        resident = await ResidentSteps.create(parts.transformer, options);
      } catch (err) {
        await Promise.all([...Object.values(parts), ...(encoder ? [encoder] : []), ...(classifier ? [classifier] : [])].map((p) => p.release()));
        throw new ModelLoadError(`${manifest.name}: cannot build the on-device Euler step on ${providerLabel(choice.spec)}: ${(err as Error).message}`);
      }
    }
    const info: ProviderInfo = {
      provider: providerLabel(choice.spec),
      skipped: choice.skipped,
      latents: latents.where,
      weightBytes: fit.weightBytes,
    };
    if (latents.note) info.latentsNote = latents.note;
    const onDemand = encoderFile && encoderOnDemand ? () => SubModel.load(encoderFile, vaeEncoderSpec(manifest), options) : undefined;
    return new FlowModel(manifest.name, manifest, performance.now() - t0, parts, tokenizers, info, resident, encoder ?? onDemand, classifier);
  }

  /** Fills defaults from the manifest and validates; throws PipelineInputError. */
  resolve(req: GenerateRequest): ResolvedRequest {
    return resolveRequest(req, this.manifest);
  }

  /** The layout whose rows guide this request's denoising (none for a collage's refine pass that follows the scene prompt only). */
  private guidingLayout(r: ResolvedRequest) {
    if (!r.layout) return undefined;
    if (r.collageRefine && regionalOptionsFor(this.manifest, r).collageRefine === 'scene') return undefined;
    return r.layout;
  }

  async generate(req: GenerateRequest, opts: GenerateOptions = {}): Promise<GenerateResult> {
    const [result] = await this.generateBatch([req], opts);
    return result;
  }

  /** Runs several requests with the same size and steps as one batch through every sub-model. */
  async generateBatch(reqs: GenerateRequest[], opts: GenerateOptions = {}): Promise<GenerateResult[]> {
    const tStart = performance.now();
    if (reqs.length === 0) return [];
    const resolved = reqs.map((r) => this.resolve(r));
    // ultra, or a large size, on a model whose manifest says refine: base render, stretched, refined
    // at the large size; a batch of one size may mix ultra, large and plain requests: a pass each
    const twoPass = resolved.map((r) => (rendersInTwoPasses(this.manifest, r) ? (r.ultra ? 'ultra' : 'large') : ''));
    if (twoPass.some(Boolean)) {
      return inGroups(twoPass, (idx, kind) => (kind ? refinePass(this, idx.map((i) => reqs[i]), idx.map((i) => resolved[i]), opts) : this.generateBatch(idx.map((i) => reqs[i]), opts)));
    }
    const { width, height, steps } = resolved[0];
    if (resolved.some((r) => r.width !== width || r.height !== height || r.steps !== steps)) {
      throw new PipelineInputError('generateBatch: all requests must share width, height and steps');
    }
    // layouts in collage mode: tiles, composite, refine (collage.ts); other requests as usual
    const collage = resolved.map((r) => !!r.layout && !r.init && !r.collageRefine && regionalOptionsFor(this.manifest, r).mode === 'collage');
    if (collage.some(Boolean)) {
      if (collage.every(Boolean)) return collagePass(this, reqs, resolved, opts);
      const pick = (want: boolean) => reqs.filter((_, i) => collage[i] === want);
      const drawn = await collagePass(this, pick(true), resolved.filter((_, i) => collage[i]), opts);
      const plain = await this.generateBatch(pick(false), opts);
      return collage.map((c) => (c ? drawn.shift()! : plain.shift()!));
    }
    // a batch of one size may mix requests rendered at a trained size and resampled (aspect
    // ratio, ultra) with ones rendered as given (width/height): each kind in its own pass
    const renderKey = (r: ResolvedRequest) => (r.renderSize ? `${r.renderSize.width}x${r.renderSize.height}` : '');
    if (resolved.some((r) => renderKey(r) !== renderKey(resolved[0]))) {
      return inGroups(resolved.map(renderKey), (idx) => this.generateBatch(idx.map((i) => reqs[i]), opts));
    }
    const render = resolved[0].renderSize ?? { width, height };
    const clock = new OnnxClock();
    const checkAbort = () => {
      if (opts.signal?.aborted) throw abortError(opts.signal);
    };
    checkAbort();

    // Text: one encoder row per prompt of a request (a layout has several), repeated for each
    // of its images; every (image, prompt) pair is one transformer row.
    let t = performance.now();
    const guiding = resolved.map((r) => this.guidingLayout(r));
    const promptsOf = resolved.map((r, i) => (guiding[i] ? layoutPrompts(r.prompt, guiding[i], { width, height, regional: r.regional, hints: this.manifest.regionPrompts }) : [r.prompt]));
    const firstText = promptsOf.map((_, i) => promptsOf.slice(0, i).reduce((n, p) => n + p.length, 0));
    const text = await this.encodeText(promptsOf.flat(), clock);
    const owners = resolved.flatMap((r, i) => Array.from({ length: r.numImages }, () => i));
    const B = owners.length;
    const rowImage = owners.flatMap((i, b) => promptsOf[i].map(() => b));
    const rowText = owners.flatMap((i) => promptsOf[i].map((_, k) => firstText[i] + k));
    const rowOwner = rowImage.map((b) => owners[b]);
    const R = rowImage.length;
    const encoderStates = repeatRows(text.sequence, rowText);
    const pooled = repeatRows(text.pooled, rowText);
    const encodeMs = performance.now() - t;

    const g = geometryFor(render.width, render.height, this.manifest.latentChannels);
    const S = sequenceLength(g);
    const perImage = g.channels * g.latentH * g.latentW;
    const noise = new Float32Array(B * perImage);
    const seeds = resolved.flatMap((r) => Array.from({ length: r.numImages }, (_, k) => imageSeed(r.seed, k)));
    seeds.forEach((seed, b) => gaussianNoise(seed, noise.subarray(b * perImage, (b + 1) * perImage)));
    const x = packLatents(noise, B, g);
    const regional = new RegionalRows(
      owners.map((i) => ({ layout: guiding[i], regional: resolved[i].regional })),
      g.latentH / 2, g.latentW / 2, g.channels * 4, Float32Array.from(x),
    );

    const L = this.manifest.textLengths.t5;
    const guidanceDefault = this.manifest.guidance?.default ?? 3.5;
    const feeds: Record<string, Feed> = {
      encoder_hidden_states: { data: encoderStates.data, dims: [R, ...encoderStates.dims] },
      pooled_projections: { data: pooled.data, dims: [R, ...pooled.dims] },
      img_ids: { data: imageIds(g), dims: [S, 3] },
      txt_ids: { data: textIds(L), dims: [L, 3] },
      guidance: { data: Float32Array.from(rowOwner, (i) => resolved[i].guidance ?? guidanceDefault), dims: [R] },
    };
    // image-to-image starts part way down the schedule from the encoded image (image-to-image.ts)
    const sigmas = startFromImages(resolved, owners, x, sigmaSchedule(steps, this.manifest.variant, S));
    const stepsMs: number[] = [];
    // Layout (regional) renders blend several rows per image on the host each step; they keep
    // the host loop. Every other batch runs with its latents on the provider.
    const resident = guiding.every((l) => !l) ? this.resident : undefined;
    if (resident) {
      const final = await resident.run({
        x, dims: [B, S, g.channels * 4], sigmas, feeds, clock, checkAbort,
        onStep: (step, total, ms) => {
          stepsMs.push(ms);
          opts.onProgress?.({ step, total });
        },
      });
      x.set(final);
    }
    // the inputs every step shares become tensors once
    const fixed = resident ? {} : this.parts.transformer.tensorsFor(feeds);
    for (let i = 0; i < sigmas.length - 1 && !resident; i++) {
      checkAbort(); // session.run starts from setImmediate, so timers and events get their turn
      t = performance.now();
      const D = g.channels * 4;
      const out = await this.parts.transformer.run(
        { ...fixed, hidden_states: { data: regional.input(x, sigmas[i]), dims: [R, S, D] }, timestep: { data: new Float32Array(R).fill(sigmas[i]), dims: [R] } },
        ['latent'],
        clock,
      );
      eulerStep(x, regional.blend(out.latent.data, x, sigmas[i], sigmas[i + 1]), sigmas[i], sigmas[i + 1]);
      stepsMs.push(performance.now() - t);
      opts.onProgress?.({ step: i + 1, total: sigmas.length - 1 });
    }
    checkAbort();

    t = performance.now();
    const latent = unpackLatents(x, B, g);
    const { scalingFactor, shiftFactor } = this.manifest.vae;
    for (let i = 0; i < latent.length; i++) latent[i] = latent[i] / scalingFactor + shiftFactor;
    const decoded = await this.parts.vaeDecoder.run(
      { latent: { data: latent, dims: [B, g.channels, g.latentH, g.latentW] } },
      ['images'],
      clock,
    );
    const decodeMs = performance.now() - t;

    t = performance.now();
    const rendered = imagesToRgb8(decoded.images.data, B, render.width, render.height);
    const resampled = render.width === width && render.height === height ? rendered : await Promise.all(rendered.map((pixels) => resampleRgb(pixels, render, { width, height })));
    const images = await this.outputImages(resampled, owners.map((i) => resolved[i]), seeds, clock);
    const encodeImageMs = performance.now() - t;

    const timings: StageTimings = {
      encodeMs, stepsMs, decodeMs, encodeImageMs, totalMs: performance.now() - tStart, onnxMs: clock.ms,
      latents: resident ? 'device' : 'host',
    };
    let next = 0;
    return resolved.map((request) => {
      const mine = images.slice(next, next + request.numImages);
      next += request.numImages;
      return { request, images: mine, timings };
    });
  }

  /**
   * Decoded RGB8 images → output files: the request's palette, the output check, the watermark,
   * the parameters and the format. `requests[b]` is image b's request; image b of a request is
   * its watermark entry b − (its first image).
   */
  /** @internal also for the multi-pass renders (render-passes.ts) */
  async outputImages(decoded: Uint8Array[], requests: ResolvedRequest[], seeds: number[], clock: OnnxClock): Promise<GeneratedImage[]> {
    const { width, height } = requests[0];
    const rgb = decoded.map((pixels, b) => applyRequestPalette(pixels, width, height, requests[b]));
    // the output check sees the pixels as they would be stored (palette applied, no watermark yet)
    const verdicts = this.classifier && this.manifest.moderation ? await moderateImages(this.classifier, this.manifest.moderation, rgb, width, height, clock) : undefined;
    return Promise.all(rgb.map(async (pixels, b) => {
      const r = requests[b];
      // The watermark goes into the pixels, before any encoder (lossless or not) sees them;
      // never into palette-locked images (it would move pixels off the palette).
      if (r.watermarks && !r.palette) embedWatermark(pixels, width, height, r.watermarks[b - requests.indexOf(r)]);
      const parameters = imageParameters(r, { seed: seeds[b], model: this.name, pipeline: PIPELINE_VERSION });
      const file = await encodeOutputImage(pixels, width, height, { format: r.outputFormat, quality: r.outputQuality, parameters });
      const pixelsSha256 = hash('sha256', pixels, 'hex');
      return { data: file.data, contentType: file.contentType, width, height, seed: seeds[b], pixelsSha256, ...(verdicts ? { moderation: verdicts[b] } : {}) };
    }));
  }

  /** Whether the model folder has a VAE encoder (files.vaeEncoder), i.e. encodeImage works. */
  get canEncodeImages(): boolean {
    return this.vaeEncoder !== undefined;
  }

  /**
   * Same-size RGB8 images → packed latents normalized as `(latent − shiftFactor) · scalingFactor`,
   * the space the flow steps work in (see vae-encoder.ts). Throws PipelineInputError for bad sizes
   * and when the model has no VAE encoder.
   */
  async encodeImage(images: readonly ImageInput[]): Promise<EncodedImages> {
    const encoder = this.encoderSession();
    if (!encoder) {
      throw new PipelineInputError(`model ${this.name} has no VAE encoder (model.json files.vaeEncoder), so it cannot take images as input`);
    }
    return encodeImages(await encoder, this.manifest, images, new OnnxClock());
  }

  /** Inverse of encodeImage: packed normalized latents of `width`x`height` images → RGB8 per image. */
  async decodeLatents(latents: Float32Array, width: number, height: number): Promise<Uint8Array[]> {
    return decodeLatents(this.parts.vaeDecoder, this.manifest, latents, width, height, new OnnxClock());
  }

  private async encodeText(prompts: string[], clock: OnnxClock) {
    const R = prompts.length;
    const clipIds = this.tokenizers.clip.encodeBatch(prompts);
    const t5Ids = this.tokenizers.t5 === this.tokenizers.clip ? clipIds : this.tokenizers.t5.encodeBatch(prompts);
    // one after the other: each run already uses every intra-op thread, and onnxMs stays a wall time
    const clip = await this.parts.clip.run({ input_ids: { data: clipIds, dims: [R, this.tokenizers.clip.length] } }, ['pooled_embeddings'], clock);
    const t5 = await this.parts.t5.run({ input_ids: { data: t5Ids, dims: [R, this.tokenizers.t5.length] } }, ['text_embeddings'], clock);
    return {
      pooled: { data: clip.pooled_embeddings.data, dims: clip.pooled_embeddings.dims.slice(1) },
      sequence: { data: t5.text_embeddings.data, dims: t5.text_embeddings.dims.slice(1) },
    };
  }

  async release(): Promise<void> {
    // an encoder that loads on demand has a session only once encodeImage asked for it
    const encoder = typeof this.vaeEncoder === 'function' ? this.encoderLoading?.then((e) => e.release(), () => undefined) : this.vaeEncoder?.release();
    await Promise.all([...Object.values(this.parts).map((p) => p.release()), this.resident?.release(), encoder, this.classifier?.release()]);
  }
}

/** Device-resident latents when asked for (or, by default, on GPU providers) and possible. */
function latentPlacement(mode: 'auto' | 'host' | 'device', choice: ProviderChoice): { where: 'host' | 'device'; note?: string } {
  if (mode === 'host') return { where: 'host' };
  if (mode === 'auto' && choice.spec.name === 'cpu') return { where: 'host' };
  if (!choice.deviceResident) return { where: 'host', note: choice.deviceResidentNote };
  return { where: 'device' };
}

/** rows[owners[b]] for each b: [R, ...dims] → [B, ...dims]. */
function repeatRows(t: { data: Float32Array; dims: readonly number[] }, owners: number[]) {
  const row = t.dims.reduce((a, b) => a * b, 1);
  // each row once, in order (every request without a layout or extra images): nothing to copy
  if (owners.length * row === t.data.length && owners.every((o, b) => o === b)) return t;
  const data = new Float32Array(owners.length * row);
  owners.forEach((o, b) => data.set(t.data.subarray(o * row, (o + 1) * row), b * row));
  return { data, dims: t.dims };
}
