import { z } from 'zod';
import { AspectRatio } from './aspect-ratio.js';
import { Palette } from './palette.js';

/** Names of presets: lower case, digits, - and _, as they appear in URLs. */
export const StyleName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, { message: 'style names are 1-40 of a-z 0-9 - _ (starting with a letter or digit)' });

/** Parameters a preset fills in when the job leaves them out. */
export const StyleDefaults = z
  .object({
    steps: z.number().int().positive().optional(),
    guidance: z.number().min(0).max(100).optional(),
    palette: Palette.optional(),
    aspect_ratio: AspectRatio.optional(),
    ultra: z.boolean().optional(),
  })
  .strict();
export type StyleDefaults = z.infer<typeof StyleDefaults>;

/** Body of `PUT /v1/styles/{name}`. */
export const StylePresetInput = z
  .object({
    description: z.string().max(200).optional(),
    prompt_template: z
      .string()
      .min(1)
      .max(1000)
      .refine((t) => t.includes('{prompt}'), { message: 'prompt_template must contain {prompt}' })
      .describe('the job prompt replaces {prompt}'),
    defaults: StyleDefaults.default({}).describe('parameters the preset fills in when the job leaves them out'),
  })
  .strict();
export type StylePresetInput = z.infer<typeof StylePresetInput>;

export const StylePreset = StylePresetInput.extend({
  name: StyleName,
  source: z.enum(['builtin', 'tenant']).describe('built into the farm, or added by this tenant'),
});
export type StylePreset = z.infer<typeof StylePreset>;

export const StyleList = z.object({ data: z.array(StylePreset) });
export type StyleList = z.infer<typeof StyleList>;

/** What a job's view says about the preset it named: the preset as applied and what it changed. */
export const AppliedStyle = z.object({
  preset: StylePreset.describe('the preset as it was when the job was submitted'),
  prompt: z.string().describe('the prompt the model was given (the template with the job prompt in it)'),
  applied: z.array(z.string()).describe('job fields whose values came from the preset'),
});
export type AppliedStyle = z.infer<typeof AppliedStyle>;

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
