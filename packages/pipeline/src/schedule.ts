/** Rectified-flow sigma schedules and the Euler update, as in the FLUX.1 reference pipeline. */

/** linspace(1, 1/N, N) followed by a final 0. */
export function baseSigmas(steps: number): number[] {
  const sigmas: number[] = [];
  for (let k = 0; k < steps; k++) sigmas.push(steps === 1 ? 1 : 1 + ((1 / steps - 1) * k) / (steps - 1));
  sigmas.push(0);
  return sigmas;
}

// Dev-style shift: mu grows linearly with the image sequence length, from 0.5 at 256 tokens
// to 1.15 at 4096 tokens (FLUX.1-dev's base_shift / max_shift).
const SHIFT_M = (1.15 - 0.5) / (4096 - 256);
const SHIFT_B = 0.5 - 256 * SHIFT_M;

export function shiftMu(sequenceLength: number): number {
  return sequenceLength * SHIFT_M + SHIFT_B;
}

/** sigma' = e^mu / (e^mu + 1/sigma - 1); sigma 0 stays 0. */
export function shiftSigma(sigma: number, mu: number): number {
  if (sigma <= 0) return 0;
  const e = Math.exp(mu);
  return e / (e + 1 / sigma - 1);
}

/**
 * The sigmas to visit, as fp32 values: schnell uses the base schedule, dev shifts it by
 * the image's sequence length S = (H/16)(W/16).
 */
export function sigmaSchedule(steps: number, variant: 'schnell' | 'dev', sequenceLength: number): Float32Array {
  const base = baseSigmas(steps);
  if (variant === 'schnell') return Float32Array.from(base);
  const mu = shiftMu(sequenceLength);
  return Float32Array.from(base.map((s) => shiftSigma(s, mu)));
}

/** x ← x + (sigmaNext − sigma)·v, every operation rounded to fp32. Updates x in place. */
export function eulerStep(x: Float32Array, v: Float32Array, sigma: number, sigmaNext: number): void {
  const dt = Math.fround(Math.fround(sigmaNext) - Math.fround(sigma));
  for (let i = 0; i < x.length; i++) x[i] = x[i] + Math.fround(dt * v[i]);
}
