import { describe, expect, it } from 'vitest';
import { extrapolate, renderReport } from '../bench/gpu-report.js';

// bench/gpu-report.ts writes docs/gpu.md from a GPU run's files: its arithmetic and its refusal
// to print numbers that were not measured are what a reader relies on.
const timing = (stepMs: number) => ({ stepMs, encodeMs: 5, decodeMs: 9, totalMs: 4 * stepMs + 14 });

describe('GPU report', () => {
  it('takes per-block times from variants one block apart and extrapolates to 19 + 38 blocks × 4 steps', () => {
    const steps: Record<string, number> = { '1,1': 30, '2,1': 50, '1,2': 38 };
    const x = extrapolate((d, s) => steps[`${d},${s}`])!;
    expect(x.double).toBe(20);
    expect(x.single).toBe(8);
    expect(x.rest).toBe(2);
    expect(x.fullStep).toBe(2 + 19 * 20 + 38 * 8); // 686 ms
    expect(x.fourStepsS).toBeCloseTo(2.744, 6);
    expect(x.ratio).toBeCloseTo(2.744 / 0.55, 6);
    expect(extrapolate((d, s) => (d === 1 && s === 2 ? undefined : 1))).toBeUndefined();
  });

  it('prints measured rows, says "not measured" for the rest, and lists what failed', () => {
    const md = renderReport(
      {
        started: '2026-12-02T10:00:00Z',
        tiny: { cpu: { provider: 'cpu', latents: 'host', batch1: { ...timing(2), msPerImage: 10 } }, webgpu: { provider: 'webgpu', latents: 'device', batch1: { ...timing(1), msPerImage: 4 } } },
        reference: {
          webgpu: {
            build: { dtype: 'fp16', torch: '2.11.0', config: { hidden_size: 3072, num_heads: 24, axes_dim: [16, 56, 56] } },
            variants: {
              d1s1: { double: 1, single: 1, loadMs: 900, weightBytes: 1, device: timing(30), host: timing(31.5), batch2: timing(50), peakMiB: 4000 },
              d2s1: { double: 2, single: 1, loadMs: 900, weightBytes: 1, device: timing(50) },
            },
          },
        },
        errors: ['reference d1s2 on webgpu: skipped, time budget spent'],
      },
      undefined,
      'NVIDIA H200',
    );
    expect(md).toContain('| webgpu | device | 4.00 |');
    expect(md).toContain('| 2.50x |'); // 10 ms/image on the CPU, 4 on WebGPU
    expect(md).toContain('hidden 3072, 24 heads, RoPE 16/56/56');
    expect(md).toContain('Copy time per step (host minus device-resident latents, d1s1): 1.50 ms.');
    expect(md).toContain('| 2 | 50.0 | 25.0 | 1.20x |');
    expect(md).toContain('| not measured | 4000 |'); // d1s1 memory after load was not read
    expect(md).toContain('- not possible: a variant (d1s1, d2s1, d1s2) is missing');
    expect(md).toContain('- reference d1s2 on webgpu: skipped, time budget spent');
    expect(md).not.toContain('PyTorch eager');
  });
});
