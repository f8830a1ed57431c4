import { sizeForAspectRatio, type FieldError, type JobInput } from '@flowfarm/contracts';
import type { ModelLimits } from '@flowfarm/queue';

/**
 * The size `aspect_ratio` / `ultra` ask for on this model, or undefined when the job names
 * neither. Problems are pushed onto `errors` with the field they come from.
 */
export function sizeFromAspectRatio(input: JobInput, limits: ModelLimits, errors: FieldError[]): { width: number; height: number } | undefined {
  if (input.aspect_ratio === undefined && !input.ultra) return undefined;
  const field = input.aspect_ratio !== undefined ? 'aspect_ratio' : 'ultra';
  const sized = sizeForAspectRatio(input.aspect_ratio ?? '1:1', input.ultra === true, {
    resolution: limits.resolution,
    base: limits.base_size ?? limits.default_size,
    maxPixels: limits.max_pixels ?? limits.resolution.max ** 2,
  });
  if (!sized) {
    errors.push({ path: field, message: `${limits.name} has no size for ${input.aspect_ratio ?? '1:1'}${input.ultra ? ' with ultra' : ''}`, code: 'out_of_range' });
    return undefined;
  }
  // a size given as well must be the one the ratio picks (a re-submitted, filled-in input has both)
  if ((input.width !== undefined && input.width !== sized.width) || (input.height !== undefined && input.height !== sized.height)) {
    errors.push({ path: field, message: `${field} picks ${sized.width}x${sized.height} on ${limits.name}; leave width and height out`, code: 'conflict' });
    return undefined;
  }
  return sized;
}
