// Image-to-image on a rectified-flow schedule: the flow interpolates linearly between the image
// latent x₀ (σ = 0) and noise ε (σ = 1), x_σ = (1 − σ)·x₀ + σ·ε. With strength s the sampler
// starts part way down the schedule and runs only the remaining steps, as diffusers'
// FluxImg2ImgPipeline does: of N steps, the last ⌊N·s⌋ run (at least one).
import { stepsAtStrength } from '@flowfarm/contracts/plain';
import { PipelineInputError } from './errors.js';

/** Where a strength starts in an N-step schedule (sigmas has N + 1 entries, the last 0). */
export function partialSchedule(sigmas: Float32Array, strength: number): { start: number; steps: number; sigmas: Float32Array } {
  if (!(strength > 0 && strength <= 1)) throw new RangeError(`strength must be in (0, 1] (got ${strength})`);
  const total = sigmas.length - 1;
  const steps = stepsAtStrength(total, strength);
  const start = total - steps;
  return { start, steps, sigmas: sigmas.subarray(start) };
}

/** x_σ = (1 − σ)·x₀ + σ·ε for packed latents, in fp32, written into a new array. */
export function noiseToSigma(x0: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  if (x0.length !== noise.length) throw new RangeError(`latent and noise sizes differ (${x0.length} vs ${noise.length})`);
  const s = Math.fround(sigma);
  const keep = Math.fround(1 - s);
  const x = new Float32Array(x0.length);
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(keep * x0[i]) + Math.fround(s * noise[i]);
  return x;
}

/** What generateBatch needs of each request to start part way down the schedule. */
export interface ImageToImageRequest {
  /** (0, 1]; 1 (or absent) starts from pure noise */
  strength?: number;
  /** the starting image as packed, normalized latents [1, S, C·4] (FlowModel.encodeImage's form) */
  init?: { latents: Float32Array };
}

/**
 * Mixes each image's starting latents into the batch's noise `x` (in place) at the strength's
 * sigma and returns the sigmas still to visit. Every request of one batch must share the
 * strength (they share the step loop); a request without `init` at strength < 1 is refused.
 */
export function startFromImages(requests: readonly ImageToImageRequest[], owners: readonly number[], x: Float32Array, sigmas: Float32Array): Float32Array {
  const strength = requests[0]?.strength ?? 1;
  if (requests.some((r) => (r.strength ?? 1) !== strength)) throw new PipelineInputError('generateBatch: all requests must share strength');
  if (strength === 1 && requests.every((r) => !r.init)) return sigmas;
  const partial = partialSchedule(sigmas, strength);
  const sigma0 = partial.sigmas[0];
  const per = x.length / owners.length;
  owners.forEach((o, b) => {
    const init = requests[o].init;
    if (!init) throw new PipelineInputError('strength below 1 needs a starting image');
    if (init.latents.length !== per) throw new PipelineInputError(`the starting image's latents have ${init.latents.length} values; this size needs ${per}`);
    x.set(noiseToSigma(init.latents, x.subarray(b * per, (b + 1) * per), sigma0), b * per);
  });
  return partial.sigmas;
}
