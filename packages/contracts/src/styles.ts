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

export { BUILTIN_STYLES, applyStyle, builtinStyle } from './plain.js';
