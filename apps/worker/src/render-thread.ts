// Worker-thread entry: owns one loaded model and runs its renders. onnxruntime-node's
// session.run executes synchronously on the thread that calls it (inside a setImmediate), so
// rendering on the main thread would block BullMQ's lock renewal, heartbeats and progress
// reports for as long as one sub-model runs (a VAE decode can take seconds). Here it blocks
// only this thread.
import { parentPort, workerData } from 'node:worker_threads';
import { initFromImageFile, loadModel, type SessionOptions } from '@flowfarm/pipeline';
import type { ThreadRenderRequest, ThreadReply, ThreadRequest } from './render-thread-protocol.js';

const port = parentPort!;
const { dir, options } = workerData as { dir: string; options: SessionOptions };
const post = (message: ThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

function abortError(): Error {
  const err = new Error('job canceled');
  err.name = 'AbortError';
  return err;
}

try {
  const model = await loadModel(dir, options);
  const controllers = new Map<number, AbortController>();

  async function render(id: number, requests: ThreadRenderRequest[]): Promise<void> {
    const controller = new AbortController();
    controllers.set(id, controller);
    try {
      // image-to-image: the starting file is encoded here, where the model's VAE encoder lives
      for (const r of requests) {
        if (r.initImage) r.init = await initFromImageFile(model, r.initImage, r.width ?? model.manifest.defaultSize.width, r.height ?? model.manifest.defaultSize.height);
        delete r.initImage;
      }
      const results = await model.generateBatch(requests, {
        signal: controller.signal,
        onProgress: ({ step, total }) => post({ type: 'progress', id, step, total }),
      });
      const buffers = new Set<ArrayBuffer>();
      for (const r of results) for (const image of r.images) buffers.add(image.data.buffer as ArrayBuffer);
      post({ type: 'result', id, results }, [...buffers]);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      post({ type: 'error', id, name: e.name, message: e.message });
    } finally {
      controllers.delete(id);
    }
  }

  port.on('message', (message: ThreadRequest) => {
    if (message.type === 'abort') controllers.get(message.id)?.abort(abortError());
    else if (message.type === 'render') void render(message.id, message.requests);
  });
  post({ type: 'ready', name: model.name, manifest: model.manifest, loadMs: model.loadMs, providerInfo: model.providerInfo });
} catch (err) {
  post({ type: 'load-error', message: err instanceof Error ? err.message : String(err) });
}
