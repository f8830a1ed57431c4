import { describe, expect, it } from 'vitest';
import {
  explainProviderFailure, formatProviderSpec, ortProviders, parseProviderList, ProviderConfigError, providerEnvironment,
} from './execution-providers.js';

describe('execution provider lists', () => {
  it('parses names, device ids and options in order of preference', () => {
    const specs = parseProviderList('tensorrt:1;fp16;cache=/var/cache/trt, cuda:1;mem=20000 ,webgpu,cpu');
    expect(specs).toEqual([
      { name: 'tensorrt', deviceId: 1, fp16: true, engineCacheDir: '/var/cache/trt' },
      { name: 'cuda', deviceId: 1, memoryLimitMb: 20000 },
      { name: 'webgpu' },
      { name: 'cpu' },
    ]);
    expect(specs.map(formatProviderSpec)).toEqual(['tensorrt:1;fp16;cache=/var/cache/trt', 'cuda:1;mem=20000', 'webgpu', 'cpu']);
    expect(parseProviderList('')).toEqual([{ name: 'cpu' }]);
    expect(parseProviderList(['cuda', 'cpu'])).toEqual([{ name: 'cuda' }, { name: 'cpu' }]);
  });

  it('rejects mistakes with one line that names the entry', () => {
    const bad = ['gpu', 'cuda:x', 'cpu:0', 'cuda;fp16', 'cuda;mem=0', 'tensorrt;cache=', 'cuda:0:1', 'cuda,cuda:0'];
    for (const text of bad) {
      let err: unknown;
      try {
        parseProviderList(text);
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(ProviderConfigError);
      expect((err as Error).message, text).not.toContain('\n');
    }
    expect(() => parseProviderList('gpu')).toThrow('unknown execution provider "gpu" in "gpu" (known: cpu, webgpu, cuda, tensorrt)');
  });

  it('lets TensorRT hand what it cannot compile to CUDA on the same device, and passes its options as ORT_TENSORRT_*', () => {
    expect(ortProviders({ name: 'tensorrt', deviceId: 2 })).toEqual([{ name: 'tensorrt', deviceId: 2 }, { name: 'cuda', deviceId: 2 }]);
    expect(ortProviders({ name: 'cuda' })).toEqual([{ name: 'cuda', deviceId: 0 }]);
    expect(providerEnvironment(parseProviderList('tensorrt;fp16;cache=/c,cpu'))).toEqual({
      ORT_TENSORRT_FP16_ENABLE: '1', ORT_TENSORRT_ENGINE_CACHE_ENABLE: '1', ORT_TENSORRT_CACHE_PATH: '/c', ORT_TENSORRT_TIMING_CACHE_ENABLE: '1',
    });
    expect(providerEnvironment(parseProviderList('cuda,cpu'))).toEqual({});
  });

  it("turns onnxruntime's start failures into one line with the fix", () => {
    const cuda = explainProviderFailure({ name: 'cuda' }, new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'));
    expect(cuda).toMatch(/^cuda:0: onnxruntime-node has no cuda libraries here \(a GPU image installs them: ONNXRUNTIME_NODE_INSTALL=cuda12/);
    const webgpu = explainProviderFailure(
      { name: 'webgpu' },
      new Error('/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 lambda() adapter_result.status == Success was false. Failed to get a WebGPU adapter: No supported adapters\n'),
    );
    expect(webgpu).toMatch(/^webgpu: Failed to get a WebGPU adapter: No supported adapters \(WebGPU runs on Dawn over Vulkan/);
    expect(webgpu).not.toContain('\n');
  });
});
