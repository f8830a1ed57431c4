import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type FlowModel } from '@flowfarm/pipeline';
import { DEFAULT_MODELS_DIR } from '../commands/generate.js';
import { loadDomain } from './domain.js';
import { evalCases } from './prompts.js';
import { roundTrip } from './round-trip.js';

const dir = path.join(DEFAULT_MODELS_DIR, 'tiny-shapes');

describe('VAE encoder of the shipped tiny-shapes model', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(dir);
  });
  afterAll(() => model?.release());

  it('encodes and decodes the eval scenes at ≥ 28 dB PSNR (64x64 and 128x96)', async () => {
    const domain = loadDomain(dir);
    const cases = evalCases(domain, 24);
    for (const [w, h] of [[64, 64], [128, 96]]) {
      const r = await roundTrip(model, cases, w, h, domain);
      expect(r.images).toBe(24);
      expect(r.meanPsnr, JSON.stringify(r)).toBeGreaterThanOrEqual(28);
      expect(r.minPsnr, JSON.stringify(r)).toBeGreaterThanOrEqual(22);
    }
  });
});
