// `flowfarm generate "<prompt>" --out x.png`: runs the pipeline in-process (no farm needed).
// With --api URL the request goes to a farm instead (generate-remote.ts).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { JobStage } from '@flowfarm/contracts';
import { DEFAULT_STAGE_STRENGTH } from '@flowfarm/contracts/plain';
import { imageFlags } from './image-flags.js';
import { stageFlags, stagePaths } from './stage-flags.js';
import { applyLocalStyle, aspectRatioFlags, outputFormatFlags, paletteFlag } from './output-format-flags.js';
import type { FlowModel, GenerateRequest, GenerateResult } from '@flowfarm/pipeline';

/** <repo>/models, found from this file so the command works from any directory. */
export const DEFAULT_MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'models');
export const DEFAULT_MODEL = 'tiny-shapes';

const USAGE = `usage: flowfarm generate "<prompt>" --out <file.png> [options]

options:
  --out FILE         where to write the PNG; with --num-images N > 1 the images are
                     written as FILE-0.png, FILE-1.png, … (image k uses seed+k)
  --seed N           0 … 4294967295 (default: random, printed)
  --steps N          flow steps (default from the model, 4 for tiny-shapes)
  --width W          pixels, a multiple of 16 (default from the model)
  --height H
  --guidance G       dev-variant models only
  --num-images N     1-4 images in one batch
  --aspect-ratio R   1:1, 16:9, 9:16, 4:3, 3:4, 3:2, 2:3, 21:9 or 9:21: a size near the
                     model's base pixel count (instead of --width/--height)
  --ultra            four times the base pixel count (square unless --aspect-ratio)
  --palette COLORS   1-8 comma-separated #rrggbb colors: every pixel becomes one of them
  --style NAME       a built-in style preset (sticker, icon, banner, monochrome, brand):
                     its prompt template and defaults apply
  --raw              no preset, template or palette processing (recorded in the file)
  --image FILE       image-to-image: start from this png/jpeg/webp (stretched to the size;
                     the model needs a VAE encoder); with --api also a result URL of the farm
  --strength S       with --image: (0, 1], how much of the schedule runs (default 0.6)
  --stage PROMPT     prompt chaining: after the first render (the prompt above), refine the
                     previous image with this prompt (image-to-image); repeat for up to 8
                     stages in all. The final image goes to --out, stage k to FILE-stage<k>.png
  --stage-strength S (0, 1] for every --stage, or one per --stage (default 0.75)
  --stages FILE      the whole chain as JSON: [{"prompt"?, "strength"?, "steps"?, "seed"?}, …]
                     (stage 0 first; a stage's prompt defaults to the command's prompt)
  --format F         png (default), jpeg or webp; the parameters are embedded in every format
  --quality Q        1-100 for jpeg and webp (default 90)
  --model NAME       a folder under the models dir (default ${DEFAULT_MODEL})
  --models-dir DIR   default: <repo>/models
  --provider LIST    execution providers in order of preference, e.g. cuda:0,cpu or
                     tensorrt:0;fp16;cache=DIR,cuda:0,webgpu,cpu (default cpu); the model
                     loads on the first that starts
  --latents WHERE    device | host | auto: keep latents on the provider between steps
                     (auto: on GPU providers)
  --json             print one JSON object (paths, seed, timings) to stdout
  --api URL          send the job to a farm instead of running locally
  --priority P       with --api: high, normal or low (within your share of the farm)
  --start-timeout S  with --api: seconds the job may wait for a worker, else it expires
  --cancel-after D   with --api: deadline from submit (30, 90s, 5m, 1h30m): not started →
                     expired, still running → canceled

On the CPU provider the graphs onnxruntime optimises on the first run are kept in
$XDG_CACHE_HOME/flowfarm/graphs (default ~/.cache/flowfarm/graphs) for later runs.
`;

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  seed: { type: 'string' },
  steps: { type: 'string' },
  width: { type: 'string' },
  height: { type: 'string' },
  guidance: { type: 'string' },
  'num-images': { type: 'string', short: 'n' },
  format: { type: 'string' },
  quality: { type: 'string' },
  'aspect-ratio': { type: 'string' },
  ultra: { type: 'boolean' },
  palette: { type: 'string' },
  style: { type: 'string' },
  raw: { type: 'boolean' },
  image: { type: 'string' },
  strength: { type: 'string' },
  stage: { type: 'string', multiple: true },
  'stage-strength': { type: 'string', multiple: true },
  stages: { type: 'string' },
  model: { type: 'string', short: 'm' },
  'models-dir': { type: 'string' },
  provider: { type: 'string' },
  latents: { type: 'string' },
  json: { type: 'boolean' },
  api: { type: 'string' },
  priority: { type: 'string' },
  'start-timeout': { type: 'string' },
  'cancel-after': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer (got "${value}")`);
  return Number(value);
}

/** x.png → x-0.png, x-1.png … when there is more than one image. */
export function outputPaths(out: string, count: number): string[] {
  if (count === 1) return [out];
  const ext = path.extname(out) || '.png';
  const stem = path.extname(out) ? out.slice(0, -ext.length) : out;
  return Array.from({ length: count }, (_, k) => `${stem}-${k}${ext}`);
}

function fail(message: string, code: number): number {
  // one line, even for parseArgs' multi-line messages
  process.stderr.write(`flowfarm generate: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  return code;
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    return fail(`${(err as Error).message} (try flowfarm generate --help)`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.api !== undefined) {
    // Farm mode lives in its own module so local generation never loads the HTTP client.
    const { runRemote } = await import('./generate-remote.js');
    return runRemote(argv);
  }
  for (const farmOnly of ['priority', 'start-timeout', 'cancel-after'] as const) {
    if (values[farmOnly] !== undefined) return fail(`--${farmOnly} applies to farm jobs only (add --api URL)`, 2);
  }

  // The pipeline (onnxruntime) loads only for a local render: --help and --api never need it.
  const {
    ModelLoadError, PipelineInputError, ProviderConfigError, defaultGraphCacheDir, initFromImageFile, listModelDirs, loadModel, parseProviderList,
    providerEnvironment,
  } = await import('@flowfarm/pipeline');
  let request: GenerateRequest;
  let image: { bytes: Uint8Array; strength: number } | undefined;
  let stages: JobStage[] | undefined;
  let providers: string[] = [];
  let latents: 'auto' | 'host' | 'device' = 'auto';
  try {
    if (values.provider !== undefined) {
      providers = values.provider.split(',').map((s) => s.trim()).filter(Boolean);
      parseProviderList(providers); // a typo is a usage error, before anything loads
    }
    if (values.latents !== undefined) {
      if (!['auto', 'host', 'device'].includes(values.latents)) throw new UsageError(`--latents must be device, host or auto (got "${values.latents}")`);
      latents = values.latents as typeof latents;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one prompt (quote it)');
    if (!values.out) throw new UsageError('--out <file.png> is required');
    const guidance = values.guidance === undefined ? undefined : Number(values.guidance);
    if (guidance !== undefined && !Number.isFinite(guidance)) throw new UsageError('--guidance must be a number');
    request = applyLocalStyle({
      prompt: positionals[0],
      seed: integer('seed', values.seed),
      steps: integer('steps', values.steps),
      width: integer('width', values.width),
      height: integer('height', values.height),
      numImages: integer('num-images', values['num-images']),
      guidance,
      ...outputFormatFlags(values.format, values.quality, UsageError),
      ...aspectRatioFlags(values['aspect-ratio'], values.ultra, UsageError),
      ...paletteFlag(values.palette, UsageError),
    }, values.style, values.raw, UsageError);
    const flag = imageFlags(values.image, values.strength, UsageError, false);
    image = flag && 'bytes' in flag ? flag : undefined;
    stages = await stageFlags(values.stage, values['stage-strength'], values.stages, UsageError);
    if (stages) {
      if ((request.numImages ?? 1) > 1) throw new UsageError('a prompt chain renders one image per stage; leave --num-images out');
      if (request.ultra) throw new UsageError('--ultra cannot be combined with stages');
      if (stages[0]!.strength !== undefined && !image) throw new UsageError("the first stage's strength needs --image");
      if (stages[0]!.strength !== undefined && values.strength !== undefined) throw new UsageError("give the first stage's strength once: --strength or in --stages");
      // the chain's stages need one seed to count from
      request.seed ??= randomBytes(4).readUInt32LE(0);
    }
  } catch (err) {
    if (err instanceof UsageError) return fail(`${err.message} (try flowfarm generate --help)`, 2);
    if (err instanceof ProviderConfigError) return fail(`--provider: ${err.message}`, 2);
    throw err;
  }

  const modelsDir = path.resolve(values['models-dir'] ?? DEFAULT_MODELS_DIR);
  const modelName = values.model ?? DEFAULT_MODEL;
  const available = listModelDirs(modelsDir);
  if (!available.includes(modelName)) {
    return fail(`model "${modelName}" not found in ${modelsDir} (available: ${available.join(', ') || 'none'})`, 2);
  }

  const progress = new ProgressBar(process.stderr.isTTY === true);
  progress.text(`loading ${modelName}…`);
  let model;
  try {
    // TensorRT reads its options from the environment when it starts (see providerEnvironment)
    Object.assign(process.env, providerEnvironment(parseProviderList(providers)));
    // Only the sessions this render needs: the VAE encoder when --image is given, and not the
    // output check (the command writes every image and reports no verdict). The optimised
    // graphs of the first run are kept for the next ones (on the CPU provider).
    model = await loadModel(path.join(modelsDir, modelName), {
      executionProviders: providers,
      latents,
      vaeEncoder: image ? 'load' : 'on-demand',
      outputModeration: false,
      graphCache: defaultGraphCacheDir(),
      prepackWeights: false, // one render: packing the weights costs more than it saves
    });
  } catch (err) {
    progress.clear();
    if (err instanceof ModelLoadError) return fail(err.message, 1);
    throw err;
  }
  if (stages) {
    try {
      return await generateChain(model, request, image, stages, { out: values.out!, json: values.json === true, style: values.style, raw: values.raw }, progress);
    } catch (err) {
      progress.clear();
      if (err instanceof PipelineInputError) return fail(err.message, 2);
      if (err instanceof UsageError) return fail(`${err.message} (try flowfarm generate --help)`, 2);
      throw err;
    } finally {
      await model.release();
    }
  }
  let result: GenerateResult;
  try {
    const resolved = model.resolve(request); // usage errors before any work
    if (image) {
      request.init = await initFromImageFile(model, image.bytes, resolved.width, resolved.height);
      request.strength = image.strength;
      request.inputImageSha256 = createHash('sha256').update(image.bytes).digest('hex');
    }
    result = await model.generate(request, { onProgress: (p) => progress.step(p.step, p.total) });
  } catch (err) {
    progress.clear();
    if (err instanceof PipelineInputError) return fail(err.message, 2);
    throw err;
  } finally {
    await model.release();
  }
  progress.clear();

  const paths = outputPaths(values.out!, result.images.length);
  mkdirSync(path.dirname(path.resolve(paths[0])), { recursive: true });
  result.images.forEach((img, k) => writeFileSync(paths[k], img.data));

  const { request: r, timings } = result;
  if (values.json) {
    const ms = (v: number) => Math.round(v * 100) / 100;
    const summary = {
      outputs: paths.map((p) => path.resolve(p)),
      seed: r.seed,
      seeds: result.images.map((i) => i.seed),
      model: model.name,
      provider: model.provider,
      latents: model.providerInfo.latents,
      ...(model.providerInfo.skipped.length ? { skippedProviders: model.providerInfo.skipped } : {}),
      prompt: r.prompt,
      width: r.width,
      height: r.height,
      steps: r.steps,
      ...(r.guidance !== undefined ? { guidance: r.guidance } : {}),
      ...(r.aspectRatio !== undefined ? { aspect_ratio: r.aspectRatio } : {}),
      ...(r.ultra ? { ultra: true } : {}),
      ...(r.palette ? { palette: r.palette } : {}),
      ...(r.style !== undefined ? { style: r.style } : {}),
      ...(r.raw ? { raw: true } : {}),
      output_format: r.outputFormat,
      ...(r.outputQuality !== undefined ? { output_quality: r.outputQuality } : {}),
      timings: {
        loadMs: ms(model.loadMs),
        encodeMs: ms(timings.encodeMs),
        stepsMs: timings.stepsMs.map(ms),
        decodeMs: ms(timings.decodeMs),
        encodeImageMs: ms(timings.encodeImageMs),
        totalMs: ms(timings.totalMs),
        onnxMs: ms(timings.onnxMs),
      },
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } else {
    for (const [k, p] of paths.entries()) process.stdout.write(`wrote ${p} (seed ${result.images[k].seed})\n`);
    process.stdout.write(
      `${r.width}x${r.height}, ${r.steps} steps, ${timings.totalMs.toFixed(0)} ms on ${model.provider} (model load ${model.loadMs.toFixed(0)} ms)\n`,
    );
  }
  return 0;
}

/**
 * Prompt chaining, locally: stage 0 renders the request (from --image if given), each later stage
 * refines the previous stage's file with image-to-image, as a farm's workers do (same defaults:
 * the command's prompt and steps, seed + k, strength 0.75), so the same flags give the same files.
 */
async function generateChain(
  model: FlowModel,
  request: GenerateRequest,
  image: { bytes: Uint8Array; strength: number } | undefined,
  stages: JobStage[],
  options: { out: string; json: boolean; style?: string; raw?: boolean },
  progress: ProgressBar,
): Promise<number> {
  const { initFromImageFile } = await import('@flowfarm/pipeline'); // loaded already by run()
  const resolved = model.resolve(request); // usage errors before any work
  const paths = stagePaths(options.out, stages.length);
  mkdirSync(path.dirname(path.resolve(paths[0]!)), { recursive: true });
  let previous = image?.bytes;
  const made: Array<{ file: string; prompt: string; seed: number; steps: number; strength?: number; totalMs: number }> = [];
  for (const [k, stage] of stages.entries()) {
    const prompt = stage.prompt === undefined ? request.prompt : applyLocalStyle({ prompt: stage.prompt }, options.style, options.raw, UsageError).prompt;
    const strength = k === 0 ? (image ? (stage.strength ?? image.strength) : undefined) : (stage.strength ?? DEFAULT_STAGE_STRENGTH);
    const stageRequest: GenerateRequest = {
      ...request, prompt, numImages: 1,
      steps: stage.steps ?? resolved.steps,
      seed: stage.seed ?? (resolved.seed + k) % 2 ** 32,
      stage: { index: k, count: stages.length },
    };
    if (previous && strength !== undefined) {
      stageRequest.init = await initFromImageFile(model, previous, resolved.width, resolved.height);
      stageRequest.strength = strength;
      stageRequest.inputImageSha256 = createHash('sha256').update(previous).digest('hex');
    }
    const result = await model.generate(stageRequest, { onProgress: (p) => progress.step(p.step, p.total) });
    previous = result.images[0]!.data;
    writeFileSync(paths[k]!, previous);
    made.push({ file: paths[k]!, prompt, seed: result.images[0]!.seed, steps: stageRequest.steps!, ...(strength === undefined ? {} : { strength }), totalMs: result.timings.totalMs });
  }
  progress.clear();
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ outputs: made.map((m) => path.resolve(m.file)), model: model.name, provider: model.provider, width: resolved.width, height: resolved.height, stages: made.map((m) => ({ ...m, file: path.resolve(m.file), totalMs: Math.round(m.totalMs * 100) / 100 })) })}\n`);
  } else {
    for (const [k, m] of made.entries()) process.stdout.write(`wrote ${m.file} (stage ${k}, seed ${m.seed}${m.strength === undefined ? '' : `, strength ${m.strength}`})\n`);
  }
  return 0;
}

/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
class ProgressBar {
  constructor(private readonly enabled: boolean) {}

  text(message: string): void {
    if (this.enabled) process.stderr.write(`\r\x1b[K${message}`);
  }

  step(step: number, total: number): void {
    const width = 24;
    const filled = Math.round((step / total) * width);
    this.text(`[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] step ${step}/${total}`);
  }

  clear(): void {
    if (this.enabled) process.stderr.write('\r\x1b[K');
  }
}
