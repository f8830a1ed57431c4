// Pipeline speed on the CPU: ms per image at 64x64 / 4 steps, the share of time spent inside
// onnxruntime, and batching gains. Every ratio is against a baseline measured in this run:
// single-image generation of the same model on the same machine.
//   npx tsx bench/pipeline.ts [--model tiny-shapes] [--models-dir DIR] [--runs 20]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel, type GenerateResult } from '@flowfarm/pipeline';

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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const f1 = (x: number) => x.toFixed(1);

async function measure(n: number, fn: (i: number) => Promise<GenerateResult[]>) {
  const wall: number[] = [];
  const results: GenerateResult[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const out = await fn(i);
    wall.push(performance.now() - t0);
    results.push(out[0]); // a batch shares one timings object
  }
  return { wall, timings: results.map((r) => r.timings) };
}

for (let i = 0; i < 3; i++) await model.generate(req(i)); // warm-up: allocator, JIT
await model.generateBatch([0, 1, 2, 3].map((i) => req(i)));

const single = await measure(runs, (i) => model.generate(req(100 + i)).then((r) => [r]));
const singleMs = median(single.wall);
const total = sum(single.timings.map((t) => t.totalMs));
const onnx = sum(single.timings.map((t) => t.onnxMs));
const stage = (pick: (t: GenerateResult['timings']) => number) => f1(median(single.timings.map(pick)));

const batch = await measure(Math.max(3, Math.floor(runs / 4)), (i) => model.generateBatch([0, 1, 2, 3].map((k) => req(200 + 4 * i + k))));
const batchMs = median(batch.wall);
const multi = await measure(Math.max(3, Math.floor(runs / 4)), (i) => model.generate({ ...req(300 + 4 * i), numImages: 4 }).then((r) => [r]));
const multiMs = median(multi.wall);
const oneStep = await measure(Math.max(5, Math.floor(runs / 2)), (i) => model.generate({ ...req(400 + i), steps: 1 }).then((r) => [r]));
await model.release();

console.log(`pipeline: ${model.name}, 64x64, 4 steps, cpu, median of ${runs} runs`);
console.log(`  baseline single image        ${f1(singleMs)} ms/image`);
console.log(`    stages (median ms)         encode ${stage((t) => t.encodeMs)}, steps ${stage((t) => sum(t.stepsMs))}, decode ${stage((t) => t.decodeMs)}, png ${stage((t) => t.encodeImageMs)}`);
console.log(`  inside onnxruntime           ${f1((onnx / total) * 100)}% of pipeline time (JS overhead ${f1((total - onnx) / runs)} ms/image)`);
console.log(`  generateBatch of 4 requests  ${f1(batchMs / 4)} ms/image = ${(batchMs / (4 * singleMs)).toFixed(2)}x of 4 single runs`);
console.log(`  one request, numImages 4     ${f1(multiMs / 4)} ms/image = ${(multiMs / (4 * singleMs)).toFixed(2)}x of 4 single runs`);
console.log(`  1 step instead of 4          ${f1(median(oneStep.wall))} ms/image = ${(median(oneStep.wall) / singleMs).toFixed(2)}x of baseline`);
