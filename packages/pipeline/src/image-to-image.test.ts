import { describe, expect, it } from 'vitest';
import { noiseToSigma, partialSchedule } from './image-to-image.js';
import { sigmaSchedule } from './schedule.js';

describe('partialSchedule', () => {
  const sigmas = sigmaSchedule(4, 'schnell', 16); // 1, .75, .5, .25, 0
  it('runs the last ⌊N·strength⌋ steps (at least one) from the matching sigma', () => {
    expect(partialSchedule(sigmas, 1)).toMatchObject({ start: 0, steps: 4 });
    expect(Array.from(partialSchedule(sigmas, 0.5).sigmas)).toEqual([0.5, 0.25, 0]);
    expect(partialSchedule(sigmas, 0.5)).toMatchObject({ start: 2, steps: 2 });
    expect(partialSchedule(sigmas, 0.1)).toMatchObject({ start: 3, steps: 1 });
  });
  it('refuses a strength outside (0, 1]', () => {
    for (const s of [0, -0.1, 1.01, Number.NaN]) expect(() => partialSchedule(sigmas, s)).toThrow(/strength must be in \(0, 1\]/);
  });
});

describe('noiseToSigma', () => {
  it('interpolates linearly: the image at sigma 0, the noise at sigma 1', () => {
    const x0 = Float32Array.from([1, -2, 0.5]);
    const eps = Float32Array.from([0, 1, -1]);
    expect(Array.from(noiseToSigma(x0, eps, 0))).toEqual([1, -2, 0.5]);
    expect(Array.from(noiseToSigma(x0, eps, 1))).toEqual([0, 1, -1]);
    expect(Array.from(noiseToSigma(x0, eps, 0.25))).toEqual([0.75, -1.25, 0.125]);
  });
});
