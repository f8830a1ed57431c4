// Pipeline speed on the CPU: ms per image at 64x64 / 4 steps, the share of time spent inside
// onnxruntime, and batching gains. Every ratio is against a baseline measured in this run:
// single-image generation of the same model on the same machine.
// The development machines are shared (load far above their 2 cores), so each figure is the
// mean of the fastest half of the runs ("quiet"), with the median of all runs in brackets.
//   npx tsx --conditions=development bench/pipeline.ts [--model tiny-shapes] [--models-dir DIR] [--runs 20] [--threads N]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel, type GenerateResult, type StageTimings } from '@flowfarm/pipeline';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'tiny-shapes' },
    'models-dir': { type: 'string', default: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'models') },
    runs: { type: 'string', default: '20' },
    threads: { type: 'string' },
  },
});
const runs = Number(values.runs);
const model = await loadModel(path.join(values['models-dir'], values.model), {
  intraOpThreads: values.threads ? Number(values.threads) : undefined,
});
const prompt = 'a large red circle in the center on a blue background';
const req = (seed: number) => ({ prompt, seed, width: 64, height: 64, steps: 4 });

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

for (let i = 0; i < 3; i++) await model.generate(req(i)); // warm-up: allocator, JIT
await model.generateBatch([0, 1, 2, 3].map((i) => req(i)));

const n4 = Math.max(4, Math.floor(runs / 2));
const cpu0 = process.cpuUsage();
const single = await measure(runs, (i) => model.generate(req(100 + i)).then((r) => [r]));
const cpu = process.cpuUsage(cpu0); // all threads, onnxruntime's included: robust to a busy machine
const batch = await measure(n4, (i) => model.generateBatch([0, 1, 2, 3].map((k) => req(200 + 4 * i + k))));
const multi = await measure(n4, (i) => model.generate({ ...req(300 + 4 * i), numImages: 4 }).then((r) => [r]));
const oneStep = await measure(n4, (i) => model.generate({ ...req(400 + i), steps: 1 }).then((r) => [r]));
await model.release();

const q = quiet(single);
const base = perImage(q);
const share = (s: Sample[]) => sum(s.map((x) => x.timings.onnxMs)) / sum(s.map((x) => x.timings.totalMs));
const stage = (pick: (t: StageTimings) => number) => f1(sum(q.map((x) => pick(x.timings))) / q.length);
const ratio = (s: Sample[]) => `${(perImage(quiet(s)) / base).toFixed(2)}x [${(medianPerImage(s) / medianPerImage(single)).toFixed(2)}x]`;

console.log(`pipeline: ${model.name}, 64x64, 4 steps, cpu, ${runs} runs; quiet = fastest half [median of all]`);
console.log(`  baseline: single image        ${f1(base)} ms/image [${f1(medianPerImage(single))}]`);
console.log(`    process CPU time             ${f1((cpu.user + cpu.system) / 1000 / runs)} ms/image (all threads)`);
console.log(`    stages, ms                  encode ${stage((t) => t.encodeMs)}, steps ${stage((t) => sum(t.stepsMs))}, decode ${stage((t) => t.decodeMs)}, png ${stage((t) => t.encodeImageMs)}`);
console.log(`  inside onnxruntime            ${f1(share(q) * 100)}% of pipeline time [${f1(share(single) * 100)}%], JS ${f1(sum(q.map((x) => x.timings.totalMs - x.timings.onnxMs)) / q.length)} ms/image`);
console.log(`  generateBatch of 4 requests   ${f1(perImage(quiet(batch)))} ms/image = ${ratio(batch)} of baseline`);
console.log(`  one request, numImages 4      ${f1(perImage(quiet(multi)))} ms/image = ${ratio(multi)} of baseline`);
console.log(`  1 step instead of 4           ${f1(perImage(quiet(oneStep)))} ms/image = ${ratio(oneStep)} of baseline`);
