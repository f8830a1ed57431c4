// The measured part of bench/gpu.sh: runs the farm's pipeline (@flowfarm/pipeline, the code the
// worker runs) on the GPU machine and writes one JSON file. Bundled by bench/gpu-prepare.sh so
// it runs with a carried Node and no node_modules but onnxruntime-node.
//
//   node gpu-bench.mjs --tiny models/tiny-shapes --ref /tmp/flux-ref --out results.json --budget-s 300
//
// Every item is measured against a baseline in the same run: WebGPU against the CPU for
// tiny-shapes, host-resident against device-resident latents, batch N against batch 1, and the
// reference model's variants against each other (their differences give per-block times).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel, type FlowModel, type GenerateRequest } from '@flowfarm/pipeline';

const { values } = parseArgs({
  options: {
    tiny: { type: 'string' }, ref: { type: 'string' }, out: { type: 'string' },
    'budget-s': { type: 'string', default: '300' }, providers: { type: 'string', default: 'webgpu' },
  },
});
const deadline = Date.now() + Number(values['budget-s']) * 1000;
const results: Record<string, unknown> = { started: new Date().toISOString(), host: os.hostname(), cpus: os.cpus().length, errors: [] as string[] };
const errors = results.errors as string[];
const save = () => writeFileSync(values.out!, `${JSON.stringify(results, null, 2)}\n`);
const log = (...a: unknown[]) => console.log(new Date().toISOString().slice(11, 19), ...a);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timeLeft = () => deadline - Date.now();

/** GPU memory in use (MiB), sampled every 100 ms by nvidia-smi while a phase runs; max kept per phase. */
class MemorySampler {
  private peak = 0;
  private readonly proc = (() => {
    try {
      const p = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-lms', '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
      p.on('error', () => {});
      p.stdout.on('data', (b: Buffer) => {
        for (const line of b.toString().split('\n')) if (line.trim()) this.peak = Math.max(this.peak, Number(line.trim()) || 0);
      });
      return p;
    } catch {
      return undefined;
    }
  })();

  take(): number {
    const p = this.peak;
    this.peak = 0;
    return p;
  }

  stop(): void {
    this.proc?.kill();
  }
}
const memory = new MemorySampler();

async function timed(model: FlowModel, req: GenerateRequest, warm: number, runs: number) {
  for (let i = 0; i < warm; i++) await model.generate(req);
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push((await model.generate(req)).timings);
  const perStep = samples.flatMap((t) => t.stepsMs);
  return {
    runs, stepMs: median(perStep), stepsMs: samples.map((t) => t.stepsMs.map((v) => Math.round(v * 100) / 100)),
    encodeMs: median(samples.map((t) => t.encodeMs)), decodeMs: median(samples.map((t) => t.decodeMs)),
    encodeImageMs: median(samples.map((t) => t.encodeImageMs)), totalMs: median(samples.map((t) => t.totalMs)),
    latents: samples[0].latents,
  };
}

async function attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  if (timeLeft() < 10_000) {
    errors.push(`${what}: skipped, time budget spent`);
    return undefined;
  }
  try {
    log('start', what);
    const r = await fn();
    log('done', what);
    return r;
  } catch (err) {
    const message = `${what}: ${(err as Error).message.split('\n')[0]}`;
    errors.push(message);
    log('FAILED', message);
    return undefined;
  } finally {
    save();
  }
}

async function tinyShapes(dir: string) {
  const out: Record<string, unknown> = {};
  results.tiny = out;
  for (const provider of new Set(['cpu', ...values.providers!.split(',')])) {
    await attempt(`tiny-shapes on ${provider}`, async () => {
      const model = await loadModel(dir, { executionProviders: [provider] });
      try {
        const row: Record<string, unknown> = { provider: model.provider, latents: model.providerInfo.latents, loadMs: model.loadMs };
        for (const n of [1, 4]) {
          const t = await timed(model, { prompt: 'a large red circle in the center on a blue background', seed: 1, numImages: n }, 3, 20);
          row[`batch${n}`] = { ...t, msPerImage: t.totalMs / n };
        }
        out[provider] = row;
      } finally {
        await model.release();
      }
    });
  }
}

/** A folder whose model.json serves one transformer variant of the reference build. */
function variantFolder(ref: string, file: string): string {
  const manifest = JSON.parse(readFileSync(path.join(ref, 'model.json'), 'utf8'));
  const abs = (rel: string) => path.resolve(ref, rel);
  manifest.files = { clip: abs(manifest.files.clip), t5: abs(manifest.files.t5), transformer: abs(file), vaeDecoder: abs(manifest.files.vaeDecoder) };
  manifest.tokenizers = { clip: abs(manifest.tokenizers.clip), t5: abs(manifest.tokenizers.t5) };
  manifest.name = `ref-${path.basename(path.dirname(file))}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ff-ref-'));
  writeFileSync(path.join(dir, 'model.json'), JSON.stringify(manifest));
  return dir;
}

async function reference(ref: string, provider: string) {
  const info = JSON.parse(readFileSync(path.join(ref, 'reference.json'), 'utf8'));
  const out: Record<string, unknown> = { provider, build: info, variants: {} };
  (results.reference ??= {} as Record<string, unknown>) as Record<string, unknown>;
  (results.reference as Record<string, unknown>)[provider] = out;
  const req: GenerateRequest = { prompt: 'a photo of a cat on a red sofa', seed: 7, width: 1024, height: 1024, steps: 4 };
  const variants = info.variants as Array<{ file: string; double: number; single: number }>;
  const rows = out.variants as Record<string, Record<string, unknown>>;
  // First every variant's step time (their differences give the per-block times), then the
  // baselines on the first variant: host-resident latents and larger batches.
  for (const v of variants) {
    await attempt(`reference d${v.double}s${v.single} on ${provider}`, async () => {
      memory.take();
      const model = await loadModel(variantFolder(ref, v.file), { executionProviders: [provider], latents: 'auto' });
      const row: Record<string, unknown> = { ...v, provider: model.provider, loadMs: model.loadMs, weightBytes: model.providerInfo.weightBytes, latentsNote: model.providerInfo.latentsNote };
      rows[`d${v.double}s${v.single}`] = row;
      try {
        row.afterLoadMiB = memory.take();
        row.device = await timed(model, req, 1, 2);
        row.peakMiB = memory.take();
      } finally {
        await model.release();
      }
    });
  }
  const first = variants[0];
  const row = first && rows[`d${first.double}s${first.single}`];
  if (!row) return;
  await attempt(`reference d${first.double}s${first.single} on ${provider}, latents through the host`, async () => {
    const host = await loadModel(variantFolder(ref, first.file), { executionProviders: [provider], latents: 'host' });
    try {
      row.host = await timed(host, req, 1, 2);
    } finally {
      await host.release();
    }
  });
  await attempt(`reference d${first.double}s${first.single} on ${provider}, batch 2 and 4`, async () => {
    const model = await loadModel(variantFolder(ref, first.file), { executionProviders: [provider], latents: 'auto' });
    try {
      for (const n of [2, 4]) {
        if (timeLeft() < 45_000) throw new Error(`batch ${n}: skipped, time budget spent`);
        memory.take();
        row[`batch${n}`] = await timed(model, { ...req, numImages: n }, 0, 1);
        row[`batch${n}PeakMiB`] = memory.take();
      }
    } finally {
      await model.release();
    }
  });
}

if (values.tiny) await tinyShapes(values.tiny);
if (values.ref) for (const provider of values.providers!.split(',')) await reference(values.ref, provider);
results.finished = new Date().toISOString();
memory.stop();
save();
log('wrote', values.out);
