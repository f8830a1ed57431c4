import { DEFAULT_IMAGE_STRENGTH, DEFAULT_STAGE_STRENGTH, applyStyle, type FieldError, type JobInput, type JobStage, type StylePreset } from '@flowfarm/contracts';
import type { ModelLimits, RenderStage } from '@flowfarm/queue';

/**
 * Prompt chaining: checks a job's `stages` against the rest of the job and the model, and fills
 * in each stage's defaults (prompt: the job's; steps: the job's; seed: the job's plus the stage's
 * index; strength: the image-to-image default after the first stage). Errors go into `errors`
 * with their field paths. Returns the stages as the input records them and as the worker renders
 * them (prompts without the style template; `styleStages` applies it).
 */
export function stagesOf(
  input: JobInput,
  job: { name: string; limits: ModelLimits; steps: number; seed: number; fromImage: boolean; imageStrength?: number },
  errors: FieldError[],
): { input: JobStage[]; render: RenderStage[] } | undefined {
  const stages = input.stages;
  if (!stages) return undefined;
  const conflict = (path: string, message: string) => errors.push({ path, message, code: 'conflict' });
  if (input.layout !== undefined) conflict('layout', 'stages cannot be combined with layout (regional prompts)');
  if (input.scene !== undefined) conflict('scene', 'stages cannot be combined with scene');
  if (input.ultra) conflict('ultra', 'stages cannot be combined with ultra');
  if ((input.num_images ?? 1) > 1) conflict('num_images', 'a prompt chain renders one image per stage; leave num_images out (or 1)');
  if (stages.length > 1 && !job.limits.image_input) {
    errors.push({ path: 'stages', message: `model ${job.name} has no VAE encoder, so its stages cannot refine each other's images`, code: 'not_supported' });
  }
  const first = stages[0];
  if (first.strength !== undefined && !job.fromImage) {
    errors.push({ path: 'stages.0.strength', message: 'the first stage renders from noise unless the job gives image; strength applies with image only', code: 'not_applicable' });
  }
  if (first.strength !== undefined && input.strength !== undefined) {
    conflict('stages.0.strength', "give the first stage's strength once: as strength or as stages[0].strength");
  }
  const { min, max } = job.limits.steps;
  const filled = stages.map((stage, k) => {
    const steps = stage.steps ?? job.steps;
    if (steps < min || steps > max) errors.push({ path: `stages.${k}.steps`, message: `steps must be from ${min} to ${max} for ${job.name}`, code: 'out_of_range' });
    const strength = k === 0 ? (job.fromImage ? (first.strength ?? job.imageStrength ?? DEFAULT_IMAGE_STRENGTH) : undefined) : (stage.strength ?? DEFAULT_STAGE_STRENGTH);
    return {
      prompt: stage.prompt ?? input.prompt,
      steps,
      seed: stage.seed ?? (job.seed + k) % 2 ** 32,
      ...(strength === undefined ? {} : { strength }),
    };
  });
  return { input: filled, render: filled.map((stage) => ({ ...stage })) };
}

/** The stages' prompts as the model gets them: the style preset's template around each. */
export function styleStages(stages: RenderStage[], preset: StylePreset | undefined): RenderStage[] {
  if (!preset) return stages;
  return stages.map((stage) => ({ ...stage, prompt: applyStyle({ prompt: stage.prompt }, preset).prompt }));
}
