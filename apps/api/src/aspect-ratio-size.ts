import { sizeForAspectRatio, type FieldError, type JobInput } from '@flowfarm/contracts';
import type { ModelLimits } from '@flowfarm/queue';

/**
 * The size `aspect_ratio` / `ultra` ask for on this model, or undefined when the job names
 * neither. Problems are pushed onto `errors` with the field they come from.
 */
export function sizeFromAspectRatio(input: JobInput, limits: ModelLimits, errors: FieldError[]): { width: number; height: number } | undefined {
  if (input.aspect_ratio === undefined && !input.ultra) return undefined;
  const field = input.aspect_ratio !== undefined ? 'aspect_ratio' : 'ultra';
  if (input.width !== undefined || input.height !== undefined) {
    errors.push({ path: field, message: `${field} picks width and height; leave them out`, code: 'conflict' });
    return undefined;
  }
  const sized = sizeForAspectRatio(input.aspect_ratio ?? '1:1', input.ultra === true, {
    resolution: limits.resolution,
    base: limits.base_size ?? limits.default_size,
    maxPixels: limits.max_pixels ?? limits.resolution.max ** 2,
  });
  if (!sized) errors.push({ path: field, message: `${limits.name} has no size for ${input.aspect_ratio ?? '1:1'}${input.ultra ? ' with ultra' : ''}`, code: 'out_of_range' });
  return sized ?? undefined;
}
