import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeOutputImage, decodePngRgb } from '@flowfarm/pipeline';
import sharp from 'sharp';
import { analyzeImage } from '../eval/analyze.js';
import { loadDomain } from '../eval/domain.js';
import { renderScene } from '../eval/render.js';
import { outputPaths, run } from './generate.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..', '..');
const bin = path.join(repo, 'apps', 'cli', 'bin', 'flowfarm.js');
const fixtures = path.join(repo, 'packages', 'pipeline', 'test-fixtures');
const tmp = mkdtempSync(path.join(tmpdir(), 'ff-generate-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Where commands keep optimised graphs (not the user's ~/.cache), spawned or run in this process. */
const cacheHome = path.join(tmp, 'xdg-cache');
process.env.XDG_CACHE_HOME = cacheHome;

async function flowfarm(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { cwd: tmp, env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs the command in this process, collecting what it writes to stderr. */
async function inProcess(args: string[]) {
  const chunks: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await run(args), stderr: chunks.join('') };
  } finally {
    process.stderr.write = write;
  }
}

describe('flowfarm generate', () => {
  it('keeps the optimised graphs of its first run in $XDG_CACHE_HOME/flowfarm/graphs and renders the same file from them', async () => {
    const xdg = path.join(tmp, 'xdg-own');
    const args = (out: string) => ['generate', 'a large red circle in the center on a blue background', '--out', path.join(tmp, out), '--seed', '3'];
    expect((await flowfarm(args('first.png'), { XDG_CACHE_HOME: xdg })).code).toBe(0);
    const graphs = path.join(xdg, 'flowfarm', 'graphs');
    // the sessions a text-to-image render creates: no VAE encoder, no output check
    expect(readdirSync(graphs).map((f) => f.split('.')[0]).sort()).toEqual(['clip', 't5', 'transformer', 'vae_decoder']);
    expect((await flowfarm(args('second.png'), { XDG_CACHE_HOME: xdg })).code).toBe(0);
    expect(readFileSync(path.join(tmp, 'second.png')).equals(readFileSync(path.join(tmp, 'first.png')))).toBe(true);
  });

  it('writes numbered PNGs and prints one JSON object with paths, seed and timings', async () => {
    const out = path.join(tmp, 'sub', 'x.png');
    const r = await flowfarm(['generate', 'a red circle', '--out', out, '--models-dir', fixtures, '--model', 'mini',
      '--seed', '41', '--num-images', '2', '--steps', '3', '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.outputs).toEqual([path.join(tmp, 'sub', 'x-0.png'), path.join(tmp, 'sub', 'x-1.png')]);
    expect(summary.seeds).toEqual([41, 42]);
    expect(summary.provider).toBe('cpu');
    expect(summary.timings.stepsMs).toHaveLength(3);
    for (const key of ['loadMs', 'encodeMs', 'decodeMs', 'totalMs']) expect(summary.timings[key]).toBeGreaterThan(0);
    const png = decodePngRgb(readFileSync(summary.outputs[1]));
    expect(png.text).toMatchObject({ prompt: 'a red circle', seed: '42', steps: '3', model: 'mini' });
  });

  it('writes webp with --format and a --style preset (template, aspect ratio) and keeps the parameters in the file', async () => {
    const out = path.join(tmp, 'w.webp');
    const r = await flowfarm(['generate', 'red circle', '--out', out, '--models-dir', fixtures, '--model', 'mini', '--seed', '3', '--format', 'webp', '--quality', '70', '--style', 'banner', '--json']);
    expect(r.code).toBe(0);
    // the banner preset: its template and its 21:9 aspect ratio
    expect(JSON.parse(r.stdout)).toMatchObject({ prompt: 'a large red circle on the left on a blue background', style: 'banner', output_format: 'webp', output_quality: 70, aspect_ratio: '21:9', width: 96, height: 48 });
    const image = await decodeOutputImage(readFileSync(out));
    expect(image.format).toBe('webp');
    expect(image.parameters).toMatchObject({ prompt: 'a large red circle on the left on a blue background', style: 'banner', seed: '3', format: 'webp', quality: '70', model: 'mini', aspect_ratio: '21:9', size: '96x48' });
  });

  it('answers bad usage with one line on stderr and exit code 2', async () => {
    const r = await flowfarm(['generate', 'a red circle', '--out', 'x.png', '--steps', 'four']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('rejects each kind of bad usage with exit code 2 before writing anything', async () => {
    const cases = [
      ['--out', 'x.png'], // no prompt
      ['a red circle'], // no --out
      ['a red circle', '--out', 'x.png', '--seed', '-3'],
      ['a red circle', '--out', 'x.png', '--bogus'],
      ['a red circle', '--out', 'x.png', '--provider', 'gpu'],
      ['a red circle', '--out', 'x.png', '--provider', 'cuda;fp16'],
      ['a red circle', '--out', 'x.png', '--latents', 'gpu'],
      ['a red circle', '--out', 'x.png', '--models-dir', fixtures, '--model', 'nope'],
      ['a red circle', '--out', path.join(tmp, 'never.png'), '--models-dir', fixtures, '--model', 'mini', '--width', '70'],
      ['a red circle', '--out', 'x.png', '--format', 'gif'],
      ['a red circle', '--out', 'x.jpg', '--format', 'jpeg', '--quality', '0'],
      ['a red circle', '--out', 'x.png', '--quality', '80'], // quality without a lossy format
      ['a red circle', '--out', 'x.png', '--aspect-ratio', '5:4'],
      ['a red circle', '--out', 'x.png', '--palette', '#ff0000,blue'],
      ['a red circle', '--out', 'x.png', '--style', 'no-such-style'],
      ['a red circle', '--out', 'x.png', '--style', 'sticker', '--raw'],
      ['a red circle', '--out', path.join(tmp, 'never.png'), '--models-dir', fixtures, '--model', 'mini', '--aspect-ratio', '16:9', '--width', '64'],
      ['a red circle', '--out', 'x.png', '--strength', '0.5'], // strength without image
      ['a red circle', '--out', 'x.png', '--image', 'x.png', '--strength', '0'],
      ['a red circle', '--out', 'x.png', '--image', path.join(tmp, 'no-such.png')],
      ['a red circle', '--out', path.join(tmp, 'never.png'), '--image', path.join(fixtures, 'mini', 'model.json')], // not an image
      ['a red circle', '--out', 'x.png', '--stage-strength', '0.5'], // stage strength without a stage
      ['a red circle', '--out', 'x.png', '--stage', 'a blue circle', '--stage-strength', '1.5'],
      ['a red circle', '--out', 'x.png', '--stage', 'a', '--stage', 'b', '--stage', 'c', '--stage-strength', '0.5', '--stage-strength', '0.5'],
      ['a red circle', '--out', 'x.png', ...Array.from({ length: 8 }, () => ['--stage', 'again']).flat()], // 9 stages
      ['a red circle', '--out', 'x.png', '--stage', 'a blue circle', '--num-images', '2'],
      ['a red circle', '--out', 'x.png', '--stages', path.join(tmp, 'no-such.json')],
      ['a red circle', '--out', 'x.png', '--stages', path.join(fixtures, 'mini', 'model.json')], // JSON, but no list of stages
    ];
    for (const args of cases) {
      const { code, stderr } = await inProcess(args);
      expect(code, args.join(' ')).toBe(2);
      expect(stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
    }
    expect(existsSync(path.join(tmp, 'never.png'))).toBe(false);
  });

  it('--image FILE --strength S starts from the image on tiny-shapes and records both in the file', async () => {
    const domain = loadDomain(path.join(repo, 'models', 'tiny-shapes'));
    const scene = { background: 'yellow', color: 'blue', shape: 'square', size: 'large', position: 'center' };
    const input = path.join(tmp, 'scene.png');
    const png = await sharp(Buffer.from(renderScene(scene, 64, 64, domain)), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    writeFileSync(input, png);
    const out = path.join(tmp, 'i2i.png');
    const r = await flowfarm(['generate', 'a large blue square in the center on a red background', '--out', out, '--image', input, '--strength', '0.5', '--seed', '7']);
    expect(r.code, r.stderr).toBe(0);
    const image = decodePngRgb(readFileSync(out));
    expect(image.text).toMatchObject({ strength: '0.5', input_image_sha256: createHash('sha256').update(png).digest('hex') });
    // at 0.5 this model keeps the image (see test/farm/farm-image-to-image.test.ts for the fractions)
    expect(analyzeImage(image.rgb, image.width, image.height, domain)).toMatchObject({ color: 'blue', shape: 'square', position: 'center' });
  });

  it('--stage chains renders: the final image at --out, each earlier stage beside it, each made from the one before; the same flags give the same files', async () => {
    const out = path.join(tmp, 'chain.png');
    const args = ['generate', 'a large red circle in the center on a white background', '--out', out, '--stage', 'a large red circle in the center on a blue background', '--stage-strength', '0.75', '--seed', '5', '--steps', '4', '--width', '64', '--height', '64'];
    const r = await flowfarm(args);
    expect(r.code, r.stderr).toBe(0);
    const first = readFileSync(path.join(tmp, 'chain-stage0.png'));
    const last = readFileSync(out);
    expect(decodePngRgb(first).text).toMatchObject({ stage: '0', stages: '2', seed: '5', steps: '4' });
    expect(decodePngRgb(last).text).toMatchObject({ stage: '1', stages: '2', seed: '6', strength: '0.75', input_image_sha256: createHash('sha256').update(first).digest('hex') });
    expect((await flowfarm(args)).code).toBe(0);
    expect(readFileSync(out).equals(last)).toBe(true);
    expect(readFileSync(path.join(tmp, 'chain-stage0.png')).equals(first)).toBe(true);
  });

  it('fails with the load error when the model folder is broken', async () => {
    const r = await flowfarm(['generate', 'x', '--out', 'x.png', '--models-dir', fixtures, '--model', 'bf16-input']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('transformer.onnx: input "hidden_states" has dtype bfloat16');
  });

  it('runs on the first provider that starts and says which, and why the others did not', async () => {
    const out = path.join(tmp, 'p.png');
    const r = await flowfarm(['generate', 'a red circle', '--out', out, '--models-dir', fixtures, '--model', 'mini',
      '--seed', '5', '--provider', 'webgpu,cpu', '--latents', 'device', '--json']);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ provider: 'cpu', latents: 'device' });
    expect(summary.skippedProviders[0]).toMatch(/^webgpu: Failed to get a WebGPU adapter/);
  });

  it('fails with one line when no listed provider can start', async () => {
    const r = await flowfarm(['generate', 'x', '--out', 'x.png', '--models-dir', fixtures, '--model', 'mini', '--provider', 'webgpu']);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n').filter((l) => l.startsWith('flowfarm generate:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^flowfarm generate: no execution provider could start: webgpu: Failed to get a WebGPU adapter/);
  });
});

describe('outputPaths', () => {
  it('numbers the files only when there is more than one image', () => {
    expect(outputPaths('a/x.png', 1)).toEqual(['a/x.png']);
    expect(outputPaths('a/x.png', 3)).toEqual(['a/x-0.png', 'a/x-1.png', 'a/x-2.png']);
    expect(outputPaths('out', 2)).toEqual(['out-0.png', 'out-1.png']);
  });
});
