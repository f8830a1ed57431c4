import { MAX_PROMPT_CHARS, ValidationError, applyStyle, type AppliedStyle, type FieldError, type JobInput } from '@flowfarm/contracts';
import type { ApiDeps } from './deps.js';
import { StyleStore } from './style-store.js';

export interface StyledJob {
  /** the job input with the preset's defaults filled in where the job left them out */
  input: JobInput;
  /** what the model is given: the template with the job prompt in it (the prompt itself without a style) */
  prompt: string;
  style: AppliedStyle | null;
}

/**
 * Applies the job's style preset (the tenant's or a built-in). `raw: true` renders without any
 * preset, template or palette, so naming one of those with raw is a 422 rather than silently
 * ignored.
 */
export async function resolveJobStyle(deps: ApiDeps, tenant: string, input: JobInput): Promise<StyledJob> {
  if (input.raw) {
    const errors: FieldError[] = [];
    if (input.style !== undefined) errors.push({ path: 'style', message: 'raw renders without style presets; leave style out', code: 'conflict' });
    if (input.palette !== undefined) errors.push({ path: 'palette', message: 'raw renders without palette processing; leave palette out', code: 'conflict' });
    if (errors.length) throw new ValidationError(errors);
  }
  if (input.style === undefined) return { input, prompt: input.prompt, style: null };
  const preset = await new StyleStore(deps.redis, deps.keys.bullPrefix).get(tenant, input.style);
  if (!preset) throw new ValidationError([{ path: 'style', message: `no style "${input.style}" (GET /v1/styles lists them)`, code: 'unknown_style' }]);
  const styled = applyStyle(input, preset);
  if (styled.prompt.length > MAX_PROMPT_CHARS) {
    throw new ValidationError([{ path: 'prompt', message: `with style ${preset.name} the prompt is longer than ${MAX_PROMPT_CHARS} characters`, code: 'too_long' }]);
  }
  return { input: styled.input, prompt: styled.prompt, style: { preset, prompt: styled.prompt, applied: styled.applied } };
}
