// Image-to-image on a rectified-flow schedule: the flow interpolates linearly between the image
// latent x₀ (σ = 0) and noise ε (σ = 1), x_σ = (1 − σ)·x₀ + σ·ε. With strength s the sampler
// starts part way down the schedule and runs only the remaining steps, as diffusers'
// FluxImg2ImgPipeline does: of N steps, the last ⌊N·s⌋ run (at least one).

/** Where a strength starts in an N-step schedule (sigmas has N + 1 entries, the last 0). */
export function partialSchedule(sigmas: Float32Array, strength: number): { start: number; steps: number; sigmas: Float32Array } {
  if (!(strength > 0 && strength <= 1)) throw new RangeError(`strength must be in (0, 1] (got ${strength})`);
  const total = sigmas.length - 1;
  const steps = Math.min(total, Math.max(1, Math.floor(total * strength + 1e-9)));
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
