// The thread settings reach onnxruntime: counted as the process's OS threads (Linux /proc).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadModel } from './index.js';

const shipped = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'tiny-shapes');
const threads = () => readdirSync('/proc/self/task').length;

describe.skipIf(!existsSync('/proc/self/task'))('intra-op threads', () => {
  it('start one pool thread per session for each thread beyond the caller, none with 1', async () => {
    const added = async (intraOpThreads: number) => {
      const before = threads();
      const model = await loadModel(shipped, { intraOpThreads });
      await model.generate({ prompt: 'a red circle', seed: 1, steps: 1 });
      const n = threads() - before;
      await model.release();
      return n;
    };
    await added(1); // onnxruntime's process-wide threads start with the first session
    const one = await added(1);
    const three = await added(3);
    // tiny-shapes has 6 sessions (clip, t5, transformer, vae decoder, vae encoder, output classifier): 2 pool threads each
    expect(three - one).toBe(12);
  });
});
