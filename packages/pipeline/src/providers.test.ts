import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ModelLoadError, loadModel } from './index.js';

// Real onnxruntime sessions on the arithmetic fixtures (tools/fixtures/make_bad_models.py).
const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => path.join(here, '..', 'test-fixtures', name);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
// A GPU image installs onnxruntime-node's CUDA libraries; this machine has none.
const cudaInstalled = existsSync(path.join(here, '..', '..', '..', 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime_providers_cuda.so'));

async function loadError(dir: string, executionProviders: string[]): Promise<Error> {
  try {
    const model = await loadModel(dir, { executionProviders });
    await model.release();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the load to fail');
}

describe('execution providers at load', () => {
  it('falls back down the preference list and reports where the model runs and why', async () => {
    const model = await loadModel(fixture('mini'), { executionProviders: ['webgpu', 'cpu'] });
    try {
      // no Vulkan GPU here: Dawn finds no adapter
      expect(model.provider).toBe('cpu');
      expect(model.providerInfo.skipped).toHaveLength(1);
      expect(model.providerInfo.skipped[0]).toMatch(/^webgpu: Failed to get a WebGPU adapter/);
      expect(model.providerInfo.latents).toBe('host');
      const r = await model.generate({ prompt: 'red circle', seed: 3 });
      expect(r.images).toHaveLength(1);
    } finally {
      await model.release();
    }
  });

  it.skipIf(cudaInstalled)('fails with one line when no listed provider can start', async () => {
    const err = await loadError(fixture('mini'), ['tensorrt;fp16', 'cuda']);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.message).toMatch(/^no execution provider could start: tensorrt:0: onnxruntime-node has no tensorrt libraries here .*; cuda:0: onnxruntime-node has no cuda libraries here/);
    expect(err.message).not.toContain('\n');
  });

  it('rejects a bad provider list as a load error naming the entry', async () => {
    const err = await loadError(fixture('mini'), ['cuda:one']);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.message).toBe('execution providers: "cuda:one": device id must be a non-negative integer');
  });

  it('refuses a model that does not fit the memory limit, before creating sessions', async () => {
    const err = await loadError(fixture('mini'), ['cpu;mem=1']);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect(err.message).toMatch(/^model mini does not fit on cpu: it needs about 1\.0 GiB \(0\.0 GiB of weights \+ working memory\) but cpu has 0\.0 GiB \(its mem=1 limit\); use a smaller export/);
  });
});

describe('latents kept on the execution provider between steps', () => {
  // On the CPU the device loop runs the same code as on a GPU (transformer output fed straight
  // into the Euler graph, its output straight back), so it must give the host loop's bytes.
  for (const name of ['mini', 'mini-fp16', 'mini-dev']) {
    it(`gives the same image bytes as the host loop (${name})`, async () => {
      const host = await loadModel(fixture(name), { latents: 'host' });
      const device = await loadModel(fixture(name), { latents: 'device' });
      try {
        expect(device.providerInfo.latents).toBe('device');
        const req = { prompt: 'a large red circle', seed: 42, numImages: 2, steps: 5 };
        const progress: number[] = [];
        const [a, b] = await Promise.all([
          host.generate(req),
          device.generate(req, { onProgress: ({ step }) => progress.push(step) }),
        ]);
        expect(a.timings.latents).toBe('host');
        expect(b.timings.latents).toBe('device');
        expect(b.timings.stepsMs).toHaveLength(5);
        expect(progress).toEqual([1, 2, 3, 4, 5]);
        a.images.forEach((img, k) => expect(same(img.data, b.images[k].data), `image ${k}`).toBe(true));
      } finally {
        await Promise.all([host.release(), device.release()]);
      }
    });
  }

  it('renders layout (regional) requests on the host loop, with the same bytes as a host model', async () => {
    const layout = {
      background: 'white background',
      objects: [{ box: [0.05, 0.05, 0.45, 0.45] as [number, number, number, number], prompt: 'a large red circle' }],
    };
    const host = await loadModel(fixture('mini'), { latents: 'host' });
    const device = await loadModel(fixture('mini'), { latents: 'device' });
    try {
      const req = { prompt: 'scene', seed: 3, layout };
      const [a, b] = [await host.generate(req), await device.generate(req)];
      expect(b.timings.latents).toBe('host'); // several rows per image are blended on the host
      expect(same(a.images[0].data, b.images[0].data)).toBe(true);
    } finally {
      await Promise.all([host.release(), device.release()]);
    }
  });

  it('stops between steps when aborted, on the device loop too', async () => {
    const model = await loadModel(fixture('mini'), { latents: 'device' });
    try {
      const controller = new AbortController();
      const run = model.generate({ prompt: 'red circle', seed: 1, steps: 20 }, {
        signal: controller.signal,
        onProgress: ({ step }) => step === 2 && controller.abort(),
      });
      await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      await model.release();
    }
  });
});
