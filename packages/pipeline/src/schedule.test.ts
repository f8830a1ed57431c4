import { describe, expect, it } from 'vitest';
import { baseSigmas, eulerStep, shiftMu, shiftSigma, sigmaSchedule } from './schedule.js';

describe('sigma schedules', () => {
  it('schnell with 4 steps is 1, .75, .5, .25, 0', () => {
    expect(Array.from(sigmaSchedule(4, 'schnell', 16))).toEqual([1, 0.75, 0.5, 0.25, 0]);
  });

  it('one step goes straight from 1 to 0', () => {
    expect(baseSigmas(1)).toEqual([1, 0]);
  });

  it('dev shift: mu is 0.5 at 256 tokens and 1.15 at 4096 tokens', () => {
    expect(shiftMu(256)).toBeCloseTo(0.5, 12);
    expect(shiftMu(4096)).toBeCloseTo(1.15, 12);
  });

  it('dev schedule at S=4096 shifts every sigma toward 1 and keeps the ends', () => {
    const s = sigmaSchedule(4, 'dev', 4096);
    const e = Math.exp(1.15);
    expect(s[0]).toBe(1);
    expect(s[4]).toBe(0);
    expect(s[2]).toBeCloseTo(e / (e + 1 / 0.5 - 1), 6); // 0.7595…
    expect(s[3]).toBeCloseTo(e / (e + 1 / 0.25 - 1), 6);
    expect(shiftSigma(0.5, 1.15)).toBeCloseTo(0.75951, 4);
  });
});

describe('Euler integration', () => {
  it('is exact on a straight rectified-flow path (constant velocity noise - x0)', () => {
    const x0 = Float32Array.from([0.5, -1.25, 2, 0]);
    const noise = Float32Array.from([1, 0.5, -0.75, 2]);
    const v = Float32Array.from(x0, (v0, i) => noise[i] - v0);
    const x = Float32Array.from(noise);
    const sigmas = sigmaSchedule(4, 'schnell', 1);
    for (let i = 0; i < 4; i++) eulerStep(x, v, sigmas[i], sigmas[i + 1]);
    Array.from(x).forEach((xi, i) => expect(xi).toBeCloseTo(x0[i], 6));
  });

  it('matches the closed form on dx/dsigma = a*x', () => {
    // Euler's closed form: x(0) = x(1) * prod(1 + a*(s_{k+1} - s_k)); ODE's: x(1) * e^(-a)
    const a = 0.8;
    const run = (steps: number) => {
      const x = Float32Array.from([1.5]);
      const sig = sigmaSchedule(steps, 'schnell', 1);
      for (let k = 0; k < steps; k++) eulerStep(x, Float32Array.from([a * x[0]]), sig[k], sig[k + 1]);
      return x[0];
    };
    const product = 1.5 * (1 - a * 0.25) ** 4; // four steps of -0.25
    expect(run(4)).toBeCloseTo(product, 6);
    const exact = 1.5 * Math.exp(-a);
    const err = (n: number) => Math.abs(run(n) - exact);
    expect(err(50)).toBeLessThan(err(4) / 10);
    expect(err(50)).toBeLessThan(0.01);
  });
});
