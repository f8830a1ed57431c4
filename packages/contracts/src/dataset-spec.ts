import { z } from 'zod';
import { JobInput } from './job-input.js';
import { MAX_LAYOUT_OBJECTS, MAX_REGION_PROMPT_CHARS } from './layout.js';

/** Most items one dataset may ask for. Items are expanded lazily, never all at once. */
export const MAX_DATASET_ITEMS = 100_000;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]{0,31})\}/g;

/** Names of the `{placeholders}` in a template. */
export function templateVariables(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

/** Fills `{name}` placeholders from `values`. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => values[name] ?? `{${name}}`);
}

const Variables = z
  .record(
    z.string().regex(VARIABLE_NAME, { message: 'variable names are letters, digits and _' }),
    z.array(z.string().trim().min(1).max(200)).min(1).max(1000),
  )
  .refine((v) => Object.keys(v).length <= 32, { message: 'at most 32 variables' })
  .describe('value lists; each item draws one value per variable (seeded by the dataset seed and the item index)');

const template = z.string().trim().min(1, { message: 'template must not be empty' }).max(MAX_REGION_PROMPT_CHARS);

export const LayoutLabel = z
  .object({
    label: z.string().trim().min(1).max(64).describe('COCO category name'),
    prompt: template.describe('object prompt template, e.g. "a large {color} circle on a {bg} background"'),
  })
  .strict();

export const DatasetLayoutGenerator = z
  .object({
    objects: z
      .object({ min: z.number().int().min(1).max(MAX_LAYOUT_OBJECTS), max: z.number().int().min(1).max(MAX_LAYOUT_OBJECTS) })
      .strict()
      .refine((o) => o.min <= o.max, { message: 'min must not exceed max', path: ['min'] })
      .describe('objects per image, drawn uniformly'),
    labels: z.array(LayoutLabel).min(1).max(64),
    box_size: z
      .tuple([z.number().gt(0).max(1), z.number().gt(0).max(1)])
      .refine(([a, b]) => a <= b, { message: 'box_size must be [min, max] with min ≤ max' })
      .optional()
      .describe('side of the square boxes as a fraction of the shorter image side (default [0.22, 0.4])'),
    background: template.describe('background prompt template'),
    object_variables: z.array(z.string()).max(32).optional().describe('variables drawn again for each object (others once per image)'),
  })
  .strict();

const JobParameters = JobInput.pick({ model: true, width: true, height: true, steps: true, guidance: true });

/**
 * Body of `POST /v1/datasets`: a prompt template with variables, or a layout generator (random
 * non-overlapping boxes of labelled objects); `count` items; image i uses seed `seed + i`.
 */
export const DatasetSpec = z
  .object({
    name: z.string().trim().min(1).max(128).optional(),
    ...JobParameters.shape,
    seed: z.number().int().min(0).max(2 ** 32 - 1).optional().describe('base seed (default random, stored): same spec and seed give the same images'),
    count: z.number().int().min(1).max(MAX_DATASET_ITEMS),
    prompt: template.max(2000).optional().describe('prompt template, e.g. "a {size} {color} {shape} on a {bg} background"'),
    variables: Variables.optional(),
    layout: DatasetLayoutGenerator.optional(),
    webhook: z.object({ url: z.url({ protocol: /^https?$/ }).max(2048) }).strict().optional().describe('receives dataset.succeeded / dataset.failed / dataset.canceled'),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (!spec.prompt === !spec.layout) {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'give either prompt (a template) or layout (a generator), not both and not neither' });
    }
    const known = new Set(Object.keys(spec.variables ?? {}));
    const check = (text: string | undefined, path: (string | number)[]) => {
      for (const name of templateVariables(text ?? '')) {
        if (!known.has(name) && !(name === 'label' && path[0] === 'layout')) ctx.addIssue({ code: 'custom', path, message: `{${name}} has no values in variables` });
      }
    };
    check(spec.prompt, ['prompt']);
    if (spec.layout) {
      check(spec.layout.background, ['layout', 'background']);
      spec.layout.labels.forEach((l, i) => check(l.prompt, ['layout', 'labels', i, 'prompt']));
      (spec.layout.object_variables ?? []).forEach((name, i) => {
        if (!known.has(name)) ctx.addIssue({ code: 'custom', path: ['layout', 'object_variables', i], message: `${name} is not in variables` });
      });
    }
  });
export type DatasetSpec = z.infer<typeof DatasetSpec>;
