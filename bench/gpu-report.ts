// Turns bench/gpu.sh's measurements (gpu-bench.ts JSON, gpu-torch-blocks.py JSON) into
// docs/gpu.md. Only numbers from those files appear; a missing measurement is reported missing.
//
//   node gpu-bench.mjs … && node gpu-report.mjs --results results.json --torch torch.json --env env.txt > gpu.md
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** FLUX.1-schnell at 1024x1024, 4 steps: ~0.55 s of bf16 compute at ~800 TFLOP/s (issue 17). */
export const COMPUTE_LIMIT_S = 0.55;
export const FLUX1_BLOCKS = { double: 19, single: 38 };

type Timing = { stepMs: number; encodeMs: number; decodeMs: number; totalMs: number; latents?: string; msPerImage?: number };
type Variant = {
  double: number; single: number; device?: Timing; host?: Timing; batch2?: Timing; batch4?: Timing; loadMs: number;
  weightBytes: number; afterLoadMiB?: number; peakMiB?: number; batch4PeakMiB?: number; latentsNote?: string;
};
type TinyRow = { provider?: string; latents?: string; batch1?: Timing; batch4?: Timing };
type BuildConfig = { hidden_size?: number; num_heads?: number; axes_dim?: number[]; context_in_dim?: number; vec_in_dim?: number };
type Reference = {
  build?: { torch?: string; dtype?: string; config?: BuildConfig; variants?: Array<{ double: number; single: number; parameters: number }> };
  variants?: Record<string, Variant>;
};
/** What gpu-bench.ts writes. */
export interface BenchResults {
  started?: string;
  tiny?: Record<string, TinyRow>;
  reference?: Record<string, Reference>;
  errors?: string[];
}
type TorchRow = { dtype: string; attention: string; doubleMs: number; singleMs: number; flux1StepMs: number; flux1FourStepsS: number; peakMiB: number };
/** What gpu-torch-blocks.py writes. */
export interface TorchResults {
  device?: string;
  torch?: string;
  rows?: TorchRow[];
}

/**
 * Per-block step times from variants that differ by one block: t_double = T(2,1) − T(1,1),
 * t_single = T(1,2) − T(1,1), the rest (embedders, final layer, RoPE, Euler) = T(1,1) − both.
 */
export function extrapolate(step: (d: number, s: number) => number | undefined) {
  const base = step(1, 1);
  const d2 = step(2, 1);
  const s2 = step(1, 2);
  if (base === undefined || d2 === undefined || s2 === undefined) return undefined;
  const double = d2 - base;
  const single = s2 - base;
  const rest = base - double - single;
  const fullStep = rest + FLUX1_BLOCKS.double * double + FLUX1_BLOCKS.single * single;
  return { double, single, rest, fullStep, fourStepsS: (4 * fullStep) / 1000, ratio: (4 * fullStep) / 1000 / COMPUTE_LIMIT_S };
}

/** nvidia-smi readings; 0 means the sampler read nothing (no nvidia-smi). */
const mib = (v: number | undefined) => (v ? String(v) : 'not measured');
const f = (v: number | undefined, digits = 1) => (v === undefined || Number.isNaN(v) ? 'not measured' : v.toFixed(digits));

export function renderReport(results: BenchResults, torch: TorchResults | undefined, env: string): string {
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  push('# GPU measurements', '', `Measured by \`bench/gpu.sh\` on ${results.started ?? '?'} (machine: see below). Every number here comes from`,
    'that run\'s output files; nothing is estimated except the rows marked *extrapolated*.', '', '```', env.trim(), '```', '');

  const tiny = results.tiny ?? {};
  push('## tiny-shapes: GPU vs CPU (64x64, 4 steps, through the worker\'s pipeline)', '',
    '| provider | latents | ms/image, batch 1 | ms/image, batch 4 | step ms (batch 1) | vs CPU (batch 1) |', '|---|---|---|---|---|---|');
  const cpu1 = tiny.cpu?.batch1?.msPerImage;
  for (const [name, row] of Object.entries(tiny)) {
    push(`| ${row.provider ?? name} | ${row.latents ?? '?'} | ${f(row.batch1?.msPerImage, 2)} | ${f(row.batch4?.msPerImage, 2)} | ${f(row.batch1?.stepMs, 2)} | ${cpu1 && row.batch1 ? `${(cpu1 / (row.batch1.msPerImage ?? NaN)).toFixed(2)}x` : '-'} |`);
  }
  if (!Object.keys(tiny).length) push('| (not measured) | | | | | |');
  push('');

  for (const [provider, ref] of Object.entries(results.reference ?? {})) {
    const variants: Record<string, Variant> = ref.variants ?? {};
    const step = (d: number, s: number) => variants[`d${d}s${s}`]?.device?.stepMs;
    const c = ref.build?.config ?? {};
    push(`## FLUX-architecture reference on ${provider} (1024x1024: 4,096 image + 512 text tokens, ${ref.build?.dtype ?? '?'}, random weights)`, '',
      `Built by \`tools/flux-reference/build.py\` (torch ${ref.build?.torch ?? '?'}): hidden ${c.hidden_size ?? '?'}, ${c.num_heads ?? '?'} heads, ` +
        `RoPE ${(c.axes_dim ?? []).join('/')}, T5 width ${c.context_in_dim ?? '?'}, pooled width ${c.vec_in_dim ?? '?'}.`, '',
      '| variant | parameters | load ms | step ms (device latents) | step ms (host latents) | encode ms | decode ms (stand-in VAE) | GPU MiB after load | peak MiB |',
      '|---|---|---|---|---|---|---|---|---|');
    for (const [name, v] of Object.entries(variants)) {
      const params = ref.build?.variants?.find((x) => x.double === v.double && x.single === v.single)?.parameters;
      push(`| ${name} | ${params ? `${(params / 1e6).toFixed(0)} M` : '?'} | ${f(v.loadMs, 0)} | ${f(v.device?.stepMs)} | ${f(v.host?.stepMs)} | ${f(v.device?.encodeMs)} | ${f(v.device?.decodeMs)} | ${mib(v.afterLoadMiB)} | ${mib(v.peakMiB)} |`);
    }
    const first = Object.values(variants)[0];
    if (first?.host && first.device) {
      push('', `Copy time per step (host minus device-resident latents, d1s1): ${(first.host.stepMs - first.device.stepMs).toFixed(2)} ms.`);
    }
    if (first?.device) {
      push('', '| batch | step ms | step ms per image | vs batch 1 per image |', '|---|---|---|---|');
      for (const n of [1, 2, 4]) {
        const t = n === 1 ? first.device : n === 2 ? first.batch2 : first.batch4;
        if (t) push(`| ${n} | ${f(t.stepMs)} | ${f(t.stepMs / n)} | ${(first.device.stepMs / (t.stepMs / n)).toFixed(2)}x |`);
      }
    }
    const x = extrapolate(step);
    push('', '### Extrapolation to FLUX.1 (19 double + 38 single blocks, 4 steps) — *extrapolated*', '');
    if (x) {
      push(`- one double block: ${f(x.double, 2)} ms/step; one single block: ${f(x.single, 2)} ms/step; the rest of a step: ${f(x.rest, 2)} ms`,
        `- full step: ${f(x.fullStep)} ms; 4 steps: **${f(x.fourStepsS, 2)} s**, **${x.ratio.toFixed(1)}x** the ${COMPUTE_LIMIT_S} s compute limit`);
    } else push('- not possible: a variant (d1s1, d2s1, d1s2) is missing; see errors below');
    push('');
  }

  if (torch?.rows?.length) {
    push(`## PyTorch eager, same blocks (not the farm's pipeline) — ${torch.device}, torch ${torch.torch}`, '',
      '| dtype | attention | double block ms | single block ms | 19+38 blocks, 1 step ms | 4 steps s | vs 0.55 s | peak MiB |', '|---|---|---|---|---|---|---|---|');
    for (const r of torch.rows) {
      push(`| ${r.dtype} | ${r.attention} | ${f(r.doubleMs, 2)} | ${f(r.singleMs, 2)} | ${f(r.flux1StepMs)} | ${f(r.flux1FourStepsS, 2)} | ${(r.flux1FourStepsS / COMPUTE_LIMIT_S).toFixed(2)}x | ${f(r.peakMiB, 0)} |`);
    }
    push('');
  }
  const errors = results.errors ?? [];
  push('## What failed or was skipped', '', ...(errors.length ? errors.map((e) => `- ${e}`) : ['- nothing']), '');
  return `${lines.join('\n')}\n`;
}

if (process.argv[1]?.includes('gpu-report')) {
  const { values } = parseArgs({ options: { results: { type: 'string' }, torch: { type: 'string' }, env: { type: 'string' } } });
  const read = (file?: string) => (file && existsSync(file) ? readFileSync(file, 'utf8') : undefined);
  const results = JSON.parse(read(values.results) ?? '{}');
  const torch = read(values.torch) ? JSON.parse(read(values.torch)!) : undefined;
  process.stdout.write(renderReport(results, torch, read(values.env) ?? '(no environment captured)'));
}
