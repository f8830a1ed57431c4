import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { decodePngRgb, loadModel } from './index.js';

// tools/flux-reference builds the FLUX.1 transformer architecture with random weights. Here it
// runs at reduced widths (--small) with Debian's torch; the GPU script builds the full size.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(path.join(tmpdir(), 'ff-flux-ref-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!hasTorch)('tools/flux-reference/build.py', () => {
  it('builds a folder the pipeline loads and runs, on both latent loops, with the counted parameters', async () => {
    const out = path.join(tmp, 'flux-ref-small');
    execFileSync(python, [path.join(root, 'tools/flux-reference/build.py'), '--out', out, '--small', '--dev', '--variants', '1x1,0x1', '--t5-length', '32', '--max-size', '256'], {
      env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONWARNINGS: 'ignore' },
      stdio: 'pipe',
    });
    const reference = JSON.parse(readFileSync(path.join(out, 'reference.json'), 'utf8'));
    expect(reference.variants.map((v: { file: string }) => v.file)).toEqual(['transformer.opt/d1s1/model.onnx', 'transformer.opt/d0s1/model.onnx']);
    // full FLUX.1 block counts at these reduced widths; the full-width count (11.9 B) is checked in Python
    expect(reference.flux1_parameters).toBeGreaterThan(reference.variants[0].parameters * 19);

    const host = await loadModel(out, { latents: 'host' });
    const device = await loadModel(out, { latents: 'device' });
    try {
      expect(host.manifest.variant).toBe('dev');
      const req = { prompt: 'a large red circle in the center', seed: 3, width: 128, height: 128, steps: 2, guidance: 3.5 };
      const [a, b] = [await host.generate(req), await device.generate(req)];
      expect(decodePngRgb(a.images[0].data)).toMatchObject({ width: 128, height: 128 });
      expect(Buffer.from(a.images[0].data).equals(Buffer.from(b.images[0].data))).toBe(true);
      expect(b.timings.latents).toBe('device');
    } finally {
      await Promise.all([host.release(), device.release()]);
    }
  }, 240_000);

  it('counts FLUX.1 at full width as 11.9 B parameters (19 double + 38 single blocks)', () => {
    const count = execFileSync(python, ['-c', [
      'import sys; sys.path.insert(0, "tools/flux-reference")',
      'from flux_model import FluxConfig, FluxTransformer, parameter_count',
      'small = FluxConfig(hidden_size=96, num_heads=2, axes_dim=(8, 20, 20), context_in_dim=64, vec_in_dim=32, depth=2, depth_single_blocks=1)',
      'assert sum(p.numel() for p in FluxTransformer(small).parameters()) == parameter_count(small, 2, 1)',
      'print(parameter_count(FluxConfig(), 19, 38))',
    ].join('\n')], { cwd: root, encoding: 'utf8' });
    expect(Number(count) / 1e9).toBeCloseTo(11.89, 2);
  }, 60_000);
});
