import { z } from 'zod';
import { JobPriority } from './fairness.js';

/**
 * A model as a live worker announces it: its limits and defaults, so the API (which loads no
 * ONNX) can validate requests and list models.
 */
export const ModelInfo = z
  .object({
    name: z.string(),
    variant: z.string().describe('"schnell" (no timestep shift) or "dev" (shifted schedule, guidance)'),
    steps: z.object({ default: z.number().int(), min: z.number().int(), max: z.number().int() }),
    resolution: z.object({ min: z.number().int(), max: z.number().int(), multiple: z.number().int() }),
    default_size: z.object({ width: z.number().int(), height: z.number().int() }),
    base_size: z.object({ width: z.number().int(), height: z.number().int() }).optional().describe('the size whose pixel count aspect_ratio keeps (default: default_size)'),
    max_pixels: z.number().int().optional().describe('most pixels (width × height) one image may have (default: resolution.max²)'),
    image_input: z.boolean().optional().describe('whether jobs may give `image` (the model has a VAE encoder)'),
    raw_variant: z.string().optional().describe('model that `raw: true` jobs run on (its manifest rawVariant)'),
    ultra: z.enum(['native', 'refine']).optional().describe('how ultra renders: natively at the large size, or base size → upscale → image-to-image'),
    guidance: z.object({ default: z.number() }).nullable(),
    workers: z.number().int().describe('live workers serving this model'),
    providers: z.array(z.string()).describe('execution providers of the live workers serving this model, e.g. ["cuda:0", "cpu"]'),
  })
  ;
export type ModelInfo = z.infer<typeof ModelInfo>;

/** A model as one worker serves it: its limits plus where that worker runs it. */
// provider/latents are optional: workers started before they were announced omit them.
export const WorkerModel = ModelInfo.omit({ workers: true, providers: true }).extend({
  provider: z.string().optional().describe('execution provider this worker runs the model on: cpu, webgpu, cuda:0, tensorrt:0'),
  latents: z.enum(['host', 'device']).optional().describe('where latents stay between flow steps on this worker'),
});
export type WorkerModel = z.infer<typeof WorkerModel>;

export const ModelList = z.object({ data: z.array(ModelInfo) });
export type ModelList = z.infer<typeof ModelList>;

/** What a worker writes into its heartbeat key (with a TTL) every few seconds. */
export const WorkerHeartbeat = z
  .object({
    id: z.string(),
    host: z.string(),
    pid: z.number().int(),
    models: z.array(WorkerModel),
    concurrency: z.number().int(),
    busy: z.number().int().describe('jobs running now'),
    current_jobs: z.array(z.string()),
    started_at: z.iso.datetime(),
    draining: z.boolean(),
  })
  ;
export type WorkerHeartbeat = z.infer<typeof WorkerHeartbeat>;

export const WorkerList = z.object({ data: z.array(WorkerHeartbeat) });

export const ApiKeyCreate = z
  .object({
    tenant: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'tenant must be 1-64 of A-Z a-z 0-9 _ . -'),
    name: z.string().max(100).optional(),
    max_priority: JobPriority.optional().describe("highest job priority this key may ask for (default: the tenant's max_priority)"),
  })
  .strict()
  ;
export type ApiKeyCreate = z.infer<typeof ApiKeyCreate>;

export const ApiKeyInfo = z
  .object({
    id: z.string(),
    tenant: z.string(),
    name: z.string().nullable(),
    max_priority: JobPriority.nullable().optional(),
    created_at: z.iso.datetime(),
    key: z.string().optional().describe('the secret key; shown only once, when created'),
  })
  ;
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;
