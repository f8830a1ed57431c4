import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowModel, ModelLoadError, PipelineInputError, decodePngRgb, listModelDirs, loadModel } from './index.js';

// Fixture models from tools/fixtures/make_bad_models.py: real ONNX graphs with the FLUX.1
// tensor names whose outputs are simple functions of their inputs.
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'test-fixtures');
const fixture = (name: string) => path.join(fixtures, name);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('FlowModel with the mini fixture', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(fixture('mini'));
  });
  afterAll(() => model.release());

  it('produces identical PNG bytes for the same request, across model instances', async () => {
    const req = { prompt: 'a large red circle', seed: 1234 };
    const a = await model.generate(req);
    const b = await model.generate(req);
    const other = await loadModel(fixture('mini'));
    const c = await other.generate(req);
    await other.release();
    expect(same(a.images[0].data, b.images[0].data)).toBe(true);
    expect(same(a.images[0].data, c.images[0].data)).toBe(true);
  });

  it('changes the image with the seed and with the prompt', async () => {
    const base = await model.generate({ prompt: 'red circle', seed: 1 });
    const seed = await model.generate({ prompt: 'red circle', seed: 2 });
    const prompt = await model.generate({ prompt: 'blue square', seed: 1 });
    expect(same(base.images[0].data, seed.images[0].data)).toBe(false);
    expect(same(base.images[0].data, prompt.images[0].data)).toBe(false);
  });

  it('fills defaults from the manifest and writes self-describing PNG text', async () => {
    const r = await model.generate({ prompt: 'a small green triangle', seed: 7 });
    expect(r.request).toEqual({ prompt: 'a small green triangle', width: 64, height: 64, steps: 4, seed: 7, numImages: 1, outputFormat: 'png' });
    const png = decodePngRgb(r.images[0].data);
    expect([png.width, png.height]).toEqual([64, 64]);
    expect(png.text).toMatchObject({ prompt: 'a small green triangle', seed: '7', steps: '4', size: '64x64', model: 'mini' });
    expect(png.text.pipeline).toMatch(/^@flowfarm\/pipeline /);
    expect(r.timings.stepsMs.length).toBe(4);
    expect(r.timings.onnxMs).toBeGreaterThan(0);
    expect(r.timings.onnxMs).toBeLessThanOrEqual(r.timings.totalMs);
  });

  it('gives image k the seed seed+k, the same image a single request with that seed gives', async () => {
    const batch = await model.generate({ prompt: 'red circle', seed: 100, numImages: 3 });
    expect(batch.images.map((i) => i.seed)).toEqual([100, 101, 102]);
    const single = await model.generate({ prompt: 'red circle', seed: 102 });
    expect(same(batch.images[2].data, single.images[0].data)).toBe(true);
  });

  it('picks and reports a random seed that reproduces the image', async () => {
    const r = await model.generate({ prompt: 'red circle' });
    expect(Number.isInteger(r.request.seed)).toBe(true);
    const again = await model.generate({ prompt: 'red circle', seed: r.request.seed });
    expect(same(r.images[0].data, again.images[0].data)).toBe(true);
  });

  it('runs a batch of requests as one, each getting its own images', async () => {
    const reqs = [{ prompt: 'red circle', seed: 5 }, { prompt: 'blue square', seed: 9, numImages: 2 }];
    const [a, b] = await model.generateBatch(reqs);
    expect(a.images.length).toBe(1);
    expect(b.images.map((i) => i.seed)).toEqual([9, 10]);
    const alone = await model.generate(reqs[1]);
    expect(same(b.images[1].data, alone.images[1].data)).toBe(true);
    await expect(model.generateBatch([{ prompt: 'x', width: 64 }, { prompt: 'y', width: 96 }])).rejects.toThrow(PipelineInputError);
  });

  it('works at non-square sizes through the ids', async () => {
    const r = await model.generate({ prompt: 'red', width: 96, height: 64, seed: 1 });
    const png = decodePngRgb(r.images[0].data);
    expect([png.width, png.height]).toEqual([96, 64]);
  });

  it('reports progress after every step', async () => {
    const seen: string[] = [];
    await model.generate({ prompt: 'red', steps: 3, seed: 1 }, { onProgress: (p) => seen.push(`${p.step}/${p.total}`) });
    expect(seen).toEqual(['1/3', '2/3', '3/3']);
  });

  it('stops between steps when the signal aborts', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const run = model.generate({ prompt: 'red', steps: 10, seed: 1 }, {
      signal: controller.signal,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps).toEqual([1, 2]);
  });

  it('lets timers and events abort between steps', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const run = model.generate({ prompt: 'red', steps: 50, seed: 1 }, {
      signal: controller.signal,
      // an abort that arrives as a macrotask, like a cancel message from Redis
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 1) setImmediate(() => controller.abort());
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps.length).toBeLessThanOrEqual(2);
  });

  it('rejects sizes, steps and counts outside the manifest limits', () => {
    expect(() => model.resolve({ prompt: 'x', width: 72 })).toThrow(/multiple of 16/);
    expect(() => model.resolve({ prompt: 'x', height: 512 })).toThrow(PipelineInputError);
    expect(() => model.resolve({ prompt: 'x', steps: 0 })).toThrow(/steps/);
    expect(() => model.resolve({ prompt: 'x', numImages: 5 })).toThrow(/numImages/);
    expect(() => model.resolve({ prompt: 'x', seed: -1 })).toThrow(/seed/);
  });
});

describe('model variants', () => {
  it('feeds guidance to dev models and records it', async () => {
    const model = await loadModel(fixture('mini-dev'));
    const a = await model.generate({ prompt: 'red', seed: 3, guidance: 2 });
    const b = await model.generate({ prompt: 'red', seed: 3, guidance: 6 });
    await model.release();
    expect(a.request.guidance).toBe(2);
    expect(decodePngRgb(a.images[0].data).text.guidance).toBe('2');
    expect(same(a.images[0].data, b.images[0].data)).toBe(false);
  });

  it('runs an fp16 transformer and stays close to the fp32 one', async () => {
    const [m32, m16] = await Promise.all([loadModel(fixture('mini')), loadModel(fixture('mini-fp16'))]);
    const req = { prompt: 'red circle', seed: 11 };
    const [a, b] = [decodePngRgb((await m32.generate(req)).images[0].data), decodePngRgb((await m16.generate(req)).images[0].data)];
    await Promise.all([m32.release(), m16.release()]);
    const maxDiff = a.rgb.reduce((m, v, i) => Math.max(m, Math.abs(v - b.rgb[i])), 0);
    expect(maxDiff).toBeLessThanOrEqual(3);
  });
});

describe('model folders that cannot load', () => {
  it('names the file, tensor and expected shape when a tensor is renamed', async () => {
    const err = await loadModel(fixture('renamed-tensor')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/^transformer\.onnx: input "hidden_states" \[B,S,64\] float32 .*missing.*hidden_state,/);
  });

  it('names the bfloat16 tensor instead of onnxruntime\'s "Unsupported data type"', async () => {
    const err = await loadModel(fixture('bf16-input')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(/^transformer\.onnx: input "hidden_states" has dtype bfloat16.*\[B,S,64\] float32/);
  });

  it('says which file is missing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ff-model-'));
    try {
      cpSync(fixture('mini'), dir, { recursive: true });
      rmSync(path.join(dir, 'vae_decoder.onnx'));
      await expect(loadModel(dir)).rejects.toThrow(/files\.vaeDecoder file .*vae_decoder\.onnx does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists only folders with a model.json', () => {
    expect(listModelDirs(fixtures)).toEqual(['bf16-input', 'flux-layout', 'mini', 'mini-dev', 'mini-fp16', 'renamed-tensor']); // not tokenizers/
    expect(listModelDirs(path.join(fixtures, 'nope'))).toEqual([]);
  });
});
