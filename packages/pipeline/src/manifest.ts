import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ModelLoadError } from './errors.js';

const positiveInt = z.number().int().positive();

/** `models/<name>/model.json`: what the pipeline needs to know about a model folder. */
export const ModelManifest = z
  .object({
    name: z.string().min(1),
    /** schnell: no guidance input, no sigma shift; dev: guidance input + resolution-dependent shift */
    variant: z.enum(['schnell', 'dev']),
    description: z.string().optional(),
    files: z.object({
      clip: z.string(),
      t5: z.string(),
      transformer: z.string(),
      vaeDecoder: z.string(),
      /** optional: images [B,3,H,W] in [-1,1] → latent [B,C,H/8,W/8]; enables encodeImage (image-to-image) */
      vaeEncoder: z.string().optional(),
    }),
    tokenizers: z.object({ clip: z.string(), t5: z.string() }),
    textLengths: z.object({ clip: positiveInt, t5: positiveInt }),
    latentChannels: positiveInt,
    vae: z.object({ scalingFactor: z.number().positive(), shiftFactor: z.number() }),
    steps: z.object({ default: positiveInt, min: positiveInt, max: positiveInt }),
    resolution: z.object({ min: positiveInt, max: positiveInt, multiple: positiveInt }),
    defaultSize: z.object({ width: positiveInt, height: positiveInt }),
    /** the size whose pixel count aspect ratios keep (default: defaultSize); ultra is 4x its pixels */
    baseSize: z.object({ width: positiveInt, height: positiveInt }).optional(),
    /** most pixels one image may have (default: resolution.max²) */
    maxPixels: positiveInt.optional(),
    /** a model (folder name) with a less processed look that `raw: true` jobs run on */
    rawVariant: z.string().min(1).optional(),
    /** how `ultra` renders: natively at the large size (models whose position ids generalize), or base → upscale → image-to-image */
    ultra: z.object({ mode: z.enum(['native', 'refine']), strength: z.number().gt(0).max(1).optional() }).optional(),
    guidance: z.object({ default: z.number() }).optional(),
    /**
     * optional output check: an image classifier (images [B,3,H,W] in [0,1] → scores [B,labels]
     * as probabilities) run on every decoded image; a score at or over its label's threshold
     * flags the image (the worker then stores nothing and the job ends `moderated`).
     */
    moderation: z
      .object({
        classifier: z.string(),
        labels: z.array(z.string().min(1)).min(1),
        thresholds: z.record(z.string(), z.number().min(0).max(1)),
        /** larger images are shrunk by a whole factor (box filter) until their longer side fits: the sizes the classifier knows */
        maxSide: positiveInt.optional(),
        description: z.string().optional(),
      })
      .refine((m) => m.labels.every((label) => label in m.thresholds), { message: 'moderation.thresholds needs a threshold for every label' })
      .optional(),
  })
  .loose();
export type ModelManifest = z.infer<typeof ModelManifest>;

export function readManifest(dir: string): ModelManifest {
  const file = path.join(dir, 'model.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelLoadError(`${file}: cannot read model manifest (${(err as Error).message})`);
  }
  const parsed = ModelManifest.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ModelLoadError(`${file}: invalid model manifest: ${issues.join('; ')}`);
  }
  const m = parsed.data;
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
