import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { fromHalfBits, toHalfBits } from './float16.js';

// tools/convert is Python (Debian's python3-onnx); the converted graph is checked where it
// will run: in onnxruntime-node, fed fp16 from JavaScript.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const python = '/usr/bin/python3';
const hasOnnx = spawnSync(python, ['-c', 'import onnx, numpy'], { stdio: 'ignore' }).status === 0;
const tmp = mkdtempSync(path.join(tmpdir(), 'ff-convert-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!hasOnnx)('tools/convert/bf16_to_fp16.py', () => {
  it('turns a bf16 graph with external weights into an fp16 one that onnxruntime-node runs, with the same results', async () => {
    execFileSync(python, [path.join(root, 'tools/convert/make_bf16_example.py'), tmp], { stdio: 'pipe' });
    const source = path.join(tmp, 'bf16.onnx');
    // the original cannot be used from Node at all
    await expect(ort.InferenceSession.create(source)).rejects.toThrow();

    const out = path.join(tmp, 'converted', 'model.onnx');
    const report = execFileSync(python, [path.join(root, 'tools/convert/bf16_to_fp16.py'), source, out], { encoding: 'utf8' });
    expect(report).toContain('5 weight tensors, 2 inputs/outputs/values and 1 casts bf16 → fp16; 1 weights clamped to ±65504');
    expect(existsSync(path.join(tmp, 'converted', 'model.onnx_data'))).toBe(true); // weights stay next to the graph

    const session = await ort.InferenceSession.create(out);
    try {
      expect(session.inputMetadata[0]).toMatchObject({ name: 'x', type: 'float16' });
      expect(session.outputMetadata[0]).toMatchObject({ name: 'y', type: 'float16' });
      const expected = JSON.parse(readFileSync(path.join(tmp, 'expected.json'), 'utf8')) as { x: number[]; dims: number[]; y: number[] };
      const x = new ort.Tensor('float16', Uint16Array.from(expected.x, toHalfBits), expected.dims);
      const y = Array.from((await session.run({ x })).y.data as Uint16Array, fromHalfBits);
      // fp16 weights and activations against the fp32 math on the bf16 values: |y| ≤ 2 (tanh·2)
      const worst = Math.max(...y.map((v, i) => Math.abs(v - expected.y[i])));
      expect(worst).toBeLessThan(0.02);
    } finally {
      await session.release();
    }
  });

  it('refuses a graph with nothing to convert (exit 2, one line)', () => {
    const r = spawnSync(python, [path.join(root, 'tools/convert/bf16_to_fp16.py'), path.join(root, 'packages/pipeline/test-fixtures/mini/vae_decoder.onnx'), path.join(tmp, 'x.onnx')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/vae_decoder\.onnx: no bfloat16 tensors, inputs or casts; nothing to convert$/)]);
  });
});
