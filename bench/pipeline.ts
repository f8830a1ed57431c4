// Pipeline speed on the CPU: ms per image at 64x64 / 4 steps, the share of time spent inside
// onnxruntime, and batching gains, with the session settings a lone worker on this machine
// uses (intra-op threads = cores, no spinning). Every ratio is against a baseline measured in
// this run: single-image generation of the same model on the same machine. Also measured here:
// onnxruntime's own thread defaults (the worker's defaults before issue 11) and the PNG
// encoder against the pure-JavaScript one earlier versions used (fast-png), on the same pixels.
// The development machines are shared (load far above their 2 cores), so each figure is the
// mean of the fastest half of the runs ("quiet"), with the median of all runs in brackets.
//   npx tsx --conditions=development bench/pipeline.ts [--model tiny-shapes] [--models-dir DIR] [--runs 20] [--threads N] [--spinning]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { encode as encodePngJs } from 'fast-png';
import { decodePngRgb, loadModel, type FlowModel, type GenerateRequest, type GenerateResult, type StageTimings } from '@flowfarm/pipeline';
import { encodePng } from '../packages/pipeline/src/png.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'tiny-shapes' },
    'models-dir': { type: 'string', default: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models') },
    runs: { type: 'string', default: '20' },
    threads: { type: 'string' },
    spinning: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const dir = path.join(values['models-dir'], values.model);
// a lone worker's automatic count (apps/worker config.ts intraOpThreads): every core
const threads = values.threads ? Number(values.threads) : os.availableParallelism();
const model = await loadModel(dir, { intraOpThreads: threads, spinning: values.spinning });
// a new prompt every run: nothing in the pipeline may profit from repeats
const req = (seed: number) => ({ prompt: `a large red circle number ${seed} in the center on a blue background`, seed, width: 64, height: 64, steps: 4 });

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const f1 = (x: number) => x.toFixed(1);

interface Sample { wall: number; timings: StageTimings; images: number }

async function measure(n: number, fn: (i: number) => Promise<GenerateResult[]>): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const out = await fn(i);
    const wall = performance.now() - t0;
    // a batch shares one timings object
    samples.push({ wall, timings: out[0].timings, images: sum(out.map((r) => r.images.length)) });
  }
  return samples;
}

/** The fastest half of the samples: what the code costs when it gets the CPU. */
const quiet = (s: Sample[]) => [...s].sort((a, b) => a.wall - b.wall).slice(0, Math.max(1, Math.ceil(s.length / 2)));
const perImage = (s: Sample[]) => sum(s.map((x) => x.wall)) / sum(s.map((x) => x.images));
const medianPerImage = (s: Sample[]) => median(s.map((x) => x.wall / x.images));

// before issue 11: onnxruntime's default threads (one pool per session), spinning
const ortDefaults = await loadModel(dir, { spinning: true });

// warm-up: allocator, JIT (the JavaScript parts run ~10x slower until optimized)
for (const m of [model, ortDefaults]) {
  for (let i = 0; i < 30; i++) await m.generate(req(i));
  for (let i = 0; i < 3; i++) await m.generateBatch([0, 1, 2, 3].map((k) => req(4 * i + k)));
}

// Rounds of one run of each kind, so a change in the machine's load hits every kind alike.
const runOne = async (m: FlowModel, r: GenerateRequest) => [await m.generate(r)];
const kinds = {
  single: (i: number) => runOne(model, req(100 + i)),
  before: (i: number) => runOne(ortDefaults, req(100 + i)),
  batch: (i: number) => model.generateBatch([0, 1, 2, 3].map((k) => req(200 + 4 * i + k))),
  multi: (i: number) => runOne(model, { ...req(300 + 4 * i), numImages: 4 }),
  oneStep: (i: number) => runOne(model, { ...req(400 + i), steps: 1 }),
};
const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, [] as Sample[]])) as Record<keyof typeof kinds, Sample[]>;
let cpuMs = 0; // all threads, onnxruntime's included, of the baseline runs: robust to a busy machine
for (let i = 0; i < runs; i++) {
  for (const [kind, fn] of Object.entries(kinds) as [keyof typeof kinds, (i: number) => Promise<GenerateResult[]>][]) {
    const cpu0 = process.cpuUsage();
    samples[kind].push(...(await measure(1, () => fn(i))));
    const cpu = process.cpuUsage(cpu0);
    if (kind === 'single') cpuMs += (cpu.user + cpu.system) / 1000;
  }
}
const { single, before, batch, multi, oneStep } = samples;
const png = (await model.generate(req(7))).images[0].data;
await model.release();
await ortDefaults.release();

// the PNG encoder against fast-png (pure JavaScript, what earlier versions wrote), same pixels and text
const { rgb, text } = decodePngRgb(png);
const timeUs = (fn: () => Uint8Array) => {
  for (let i = 0; i < 50; i++) fn();
  const t: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) fn();
    t.push(((performance.now() - t0) / 200) * 1000);
  }
  return { us: Math.min(...t), bytes: fn().length };
};
const native = timeUs(() => encodePng(rgb, 64, 64, text));
const js = timeUs(() => encodePngJs({ width: 64, height: 64, data: rgb, channels: 3, depth: 8, text }));

const q = quiet(single);
const base = perImage(q);
const share = (s: Sample[]) => sum(s.map((x) => x.timings.onnxMs)) / sum(s.map((x) => x.timings.totalMs));
const stage = (pick: (t: StageTimings) => number) => f1(sum(q.map((x) => pick(x.timings))) / q.length);
const ratio = (s: Sample[]) => `${(perImage(quiet(s)) / base).toFixed(2)}x [${(medianPerImage(s) / medianPerImage(single)).toFixed(2)}x]`;

const throughput = (s: Sample[]) => `${(base / perImage(quiet(s))).toFixed(2)}x [${(medianPerImage(single) / medianPerImage(s)).toFixed(2)}x]`;

console.log(`pipeline: ${model.name}, 64x64, 4 steps, cpu, ${threads} intra-op thread(s)${values.spinning ? ', spinning' : ''}, ${runs} runs; quiet = fastest half [median of all]; load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} cores`);
console.log(`  baseline: single image        ${f1(base)} ms/image [${f1(medianPerImage(single))}]   (target ≤ 25 ms)`);
console.log(`    process CPU time             ${f1(cpuMs / runs)} ms/image (all threads)`);
console.log(`    stages, ms                  encode ${stage((t) => t.encodeMs)}, steps ${stage((t) => sum(t.stepsMs))}, decode ${stage((t) => t.decodeMs)}, png ${stage((t) => t.encodeImageMs)}`);
console.log(`  inside onnxruntime            ${f1(share(q) * 100)}% of pipeline time [${f1(share(single) * 100)}%], JS ${f1(sum(q.map((x) => x.timings.totalMs - x.timings.onnxMs)) / q.length)} ms/image   (target ≥ 95%)`);
console.log(`  generateBatch of 4 requests   ${f1(perImage(quiet(batch)))} ms/image = ${throughput(batch)} the throughput of single images   (target ≥ 1.5x)`);
console.log(`  one request, numImages 4      ${f1(perImage(quiet(multi)))} ms/image = ${throughput(multi)} the throughput`);
console.log(`  1 step instead of 4           ${f1(perImage(quiet(oneStep)))} ms/image = ${ratio(oneStep)} of baseline`);
console.log(`  before: onnxruntime's default threads, spinning: single image ${f1(perImage(quiet(before)))} ms/image [${f1(medianPerImage(before))}] = ${ratio(before)} of baseline`);
console.log(`  PNG encoding, 64x64 with its text: ${f1(native.us)} µs (${native.bytes} bytes), pure-JS fast-png before: ${f1(js.us)} µs (${js.bytes} bytes) → ${(js.us / native.us).toFixed(1)}x faster`);
