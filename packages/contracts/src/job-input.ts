import { z } from 'zod';
import { AspectRatio } from './aspect-ratio.js';
import { MAX_PALETTE_COLORS, Palette } from './palette.js';
import { StyleName } from './styles.js';
import { JobEventType } from './job-events.js';
import { Layout, Scene } from './layout.js';
import { JobPriority, MAX_START_TIMEOUT_SECONDS } from './fairness.js';
import { DEFAULT_IMAGE_STRENGTH, DEFAULT_STAGE_STRENGTH } from './plain.js';

/** Longest prompt the API accepts, in characters. */
export const MAX_PROMPT_CHARS = 2000;
/** Image sides must be multiples of this (2x2 patches of 1/8-resolution latents). */
export const SIZE_MULTIPLE = 16;
/** Most images one job may ask for. */
export const MAX_IMAGES_PER_JOB = 4;
/** Largest image (decoded file bytes) `image` may carry; its data URL is about 4/3 of this. */
export const MAX_INPUT_IMAGE_BYTES = 6 * 1024 * 1024;
/** Most pixels (width × height) an input image may have (it is resized to the job's size). */
export const MAX_INPUT_IMAGE_PIXELS = 4096 * 4096;
export { DEFAULT_IMAGE_STRENGTH, DEFAULT_STAGE_STRENGTH } from './plain.js';
/** `data:` URL prefixes `image` accepts. */
export const INPUT_IMAGE_DATA_URL = /^data:image\/(png|jpeg|webp);base64,/;
/** A result URL of this farm: absolute http(s), or the relative `/files/…` form local storage hands out. */
export const INPUT_IMAGE_RESULT_URL = /^(https?:\/\/[^\s]+|\/files\/[^\s]+)$/;
/** Longest result URL `image` may name. */
export const MAX_INPUT_IMAGE_URL_CHARS = 4096;

/** Most stages a prompt chain (`stages`) may have. */
export const MAX_STAGES = 8;

/**
 * One stage of a prompt chain. Each stage after the first refines the previous stage's output
 * with image-to-image; the first renders from noise, or from `image` like any job.
 */
export const JobStage = z
  .object({
    prompt: z.string().trim().min(1, { message: 'prompt must not be empty' }).max(MAX_PROMPT_CHARS).optional().describe("this stage's prompt (default: the job's prompt)"),
    strength: z
      .number()
      .gt(0, { message: 'strength must be greater than 0' })
      .max(1, { message: 'strength must be at most 1' })
      .optional()
      .describe(`(0, 1]: how much of the schedule runs from the previous stage's output (default ${DEFAULT_STAGE_STRENGTH}); on the first stage only with image (instead of the job's strength, default ${DEFAULT_IMAGE_STRENGTH})`),
    steps: z.number().int().positive().optional().describe("this stage's flow steps (default: the job's steps)"),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional().describe("this stage's seed (default: the job's seed plus the stage's index)"),
  })
  .strict()
  ;
export type JobStage = z.infer<typeof JobStage>;

/** Largest `metadata` object, serialized as JSON, in bytes. */
export const MAX_METADATA_BYTES = 2048;

export const WebhookSpec = z
  .object({
    url: z.url({ protocol: /^https?$/ }).max(2048).describe('http(s) endpoint that receives signed job events'),
    events: z
      .array(JobEventType)
      .min(1)
      .optional()
      .describe('events to deliver (default: job.succeeded, job.failed, job.canceled, job.moderated, job.expired)'),
  })
  .strict()
  ;
export type WebhookSpec = z.infer<typeof WebhookSpec>;

/** Deepest nesting of objects and arrays `metadata` may have. */
export const MAX_METADATA_DEPTH = 16;

/** Whether objects/arrays nest deeper than `max`; iterative, so no input can overflow the stack. */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

const Metadata = z
  .record(z.string().max(64), z.unknown())
  .refine((value) => !nestsDeeperThan(value, MAX_METADATA_DEPTH), {
    message: `metadata must not nest deeper than ${MAX_METADATA_DEPTH} levels`,
    abort: true,
  })
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= MAX_METADATA_BYTES, {
    message: `metadata must be at most ${MAX_METADATA_BYTES} bytes as JSON`,
  })
  .describe('small JSON object stored with the job and echoed back in its view and webhooks');

const side = (name: string) =>
  z
    .number()
    .int()
    .positive()
    .multipleOf(SIZE_MULTIPLE, { message: `${name} must be a multiple of ${SIZE_MULTIPLE}` })
    .describe(`image ${name} in pixels, a multiple of ${SIZE_MULTIPLE} within the model's limits (default from the model)`);

export const OutputFormat = z.enum(['png', 'jpeg', 'webp']);
export type OutputFormat = z.infer<typeof OutputFormat>;

/**
 * Body of `POST /v1/jobs`. Limits that depend on the model (size range, step range) are checked
 * by the API against the model's published limits after this schema passes.
 */
export const JobInput = z
  .object({
    prompt: z.string().trim().min(1, { message: 'prompt must not be empty' }).max(MAX_PROMPT_CHARS).describe('text prompt'),
    model: z.string().min(1).max(128).optional().describe('model name (default: the only or first model served)'),
    width: side('width').optional(),
    height: side('height').optional(),
    aspect_ratio: AspectRatio.optional().describe("picks width and height near the model's base pixel count (not with width/height)"),
    ultra: z.boolean().optional().describe("renders four times the model's base pixel count (with aspect_ratio, or square)"),
    palette: Palette.optional().describe(`1-${MAX_PALETTE_COLORS} #rrggbb colors: every pixel of the output is one of them`),
    style: StyleName.optional().describe('a style preset (GET /v1/styles): its prompt template and defaults apply'),
    raw: z.boolean().optional().describe("renders without preset, template or palette processing, on the model's raw variant where it has one"),
    steps: z.number().int().positive().optional().describe('number of flow steps (default from the model)'),
    guidance: z.number().min(0).max(100).optional().describe('guidance scale for guidance-distilled models'),
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional().describe('random seed; same seed and parameters give the same image'),
    num_images: z.number().int().min(1).max(MAX_IMAGES_PER_JOB).optional().describe('images to generate (default 1)'),
    safety_tolerance: z
      .number()
      .int()
      .min(0)
      .max(6)
      .optional()
      .describe("moderation strictness as BFL's API: 0 strictest … 6 most permissive (default 2; lowered to the tenant's cap)"),
    output_format: OutputFormat.optional().describe('image format (default png); the generation parameters are embedded in every format (PNG text chunks, XMP in JPEG and WebP)'),
    output_quality: z.number().int().min(1).max(100).optional().describe('quality of jpeg and webp output, 1-100 (default 90); not allowed with png'),
    image: z
      .string()
      .refine((value) => INPUT_IMAGE_DATA_URL.test(value) || (value.length <= MAX_INPUT_IMAGE_URL_CHARS && INPUT_IMAGE_RESULT_URL.test(value)), {
        message: 'image must be a data:image/png|jpeg|webp;base64,… URL or the URL of one of your results on this farm',
      })
      .max(Math.ceil((MAX_INPUT_IMAGE_BYTES * 4) / 3) + 64, { message: `image must be at most ${MAX_INPUT_IMAGE_BYTES} bytes decoded` })
      .optional()
      .describe(`image-to-image: the starting image, as a data: URL (png, jpeg or webp, at most ${MAX_INPUT_IMAGE_BYTES} bytes and ${MAX_INPUT_IMAGE_PIXELS} pixels) or as the output URL of one of your jobs on this farm (a signed link that has not expired); resized to width x height. The model must have a VAE encoder (GET /v1/models image_input). Not kept in the job: the view shows its sha256`),
    strength: z
      .number()
      .gt(0, { message: 'strength must be greater than 0' })
      .max(1)
      .optional()
      .describe(`image-to-image, with image only: (0, 1], how much of the schedule runs from the image (1: all of it, from noise; default ${DEFAULT_IMAGE_STRENGTH})`),
    stages: z
      .array(JobStage)
      .min(1, { message: 'stages must have at least 1 stage' })
      .max(MAX_STAGES, { message: `stages must have at most ${MAX_STAGES} stages` })
      .optional()
      .describe(`prompt chaining: 1-${MAX_STAGES} stages rendered in order in one job, each refining the previous stage's output with image-to-image; every stage's image is kept in outputs (marked with its stage), the last is the final image. Not with layout, scene, ultra or num_images above 1`),
    webhook: WebhookSpec.optional(),
    metadata: Metadata.optional(),
    priority: JobPriority.optional().describe("within the tenant's share, higher runs first (default normal; at most the key's or tenant's max_priority)"),
    start_timeout: z
      .number()
      .int()
      .min(1)
      .max(MAX_START_TIMEOUT_SECONDS)
      .optional()
      .describe('seconds the job may wait for a worker; not started by then, it ends `expired` (never rendered, not counted against quotas)'),
    layout: Layout.optional().describe('object boxes with their own prompts (regional guidance); `prompt` describes the whole scene and is the default background prompt'),
    scene: Scene.optional().describe('3D objects and a camera, projected to a `layout` by the API (give layout or scene, not both)'),
  })
  .strict()
  ;
export type JobInput = z.infer<typeof JobInput>;
