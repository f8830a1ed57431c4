// `flowfarm dataset …` as real processes against a running farm: create downloads the whole
// labelled set; get and cancel; a bad spec is one line with the field paths and exit 2.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startTestFarm, type TestFarm } from '../client/test-farm.js';

const MAIN = path.join(REPO_ROOT, 'apps', 'cli', 'src', 'main.ts');
const TSX = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
let farm: TestFarm;
let farmStarting: Promise<TestFarm> | undefined;
let dir: string;

function flowfarm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=development', '--import', TSX, MAIN, ...args], { cwd: dir, env: farm.cliEnv(), timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  farmStarting = startTestFarm();
  farm = await farmStarting;
  dir = await mkdtemp(path.join(tmpdir(), 'flowfarm-cli-dataset-'));
}, 180_000);

afterAll(async () => {
  await farmStarting?.then((started) => started.close(), () => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('flowfarm dataset', () => {
  it('creates a set, shows progress and downloads images, manifest, COCO annotations and summary', async () => {
    const spec = {
      count: 12, seed: 5,
      layout: { objects: { min: 1, max: 2 }, labels: [{ label: 'circle', prompt: 'a large {color} circle on a white background' }], background: 'a white background', object_variables: ['color'] },
      variables: { color: ['red', 'blue'] },
    };
    await writeFile(path.join(dir, 'spec.json'), JSON.stringify(spec));
    const created = await flowfarm(['dataset', 'create', 'spec.json', '--out', 'set']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toMatch(/dataset ds_\S+: 12 items, seed 5/);
    expect(created.stderr).toContain('rendering 12/12');
    expect(created.stdout).toContain('12 images');
    const images = await readdir(path.join(dir, 'set', 'images'));
    expect(images.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `${String(i).padStart(6, '0')}.png`));
    const manifest = (await readFile(path.join(dir, 'set', 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { index: number; labels: unknown[] });
    expect(manifest).toHaveLength(12);
    const coco = JSON.parse(await readFile(path.join(dir, 'set', 'annotations.json'), 'utf8')) as { annotations: unknown[] };
    expect(coco.annotations).toHaveLength(manifest.reduce((n, l) => n + l.labels.length, 0));
    const png = await readFile(path.join(dir, 'set', 'images', '000000.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');

    const id = /dataset (ds_\S+):/.exec(created.stderr)![1];
    const got = await flowfarm(['dataset', 'get', id, '--json']);
    expect(JSON.parse(got.stdout)).toMatchObject({ id, status: 'succeeded', counts: { succeeded: 12, failed: 0, pending: 0 } });
    const cancel = await flowfarm(['dataset', 'cancel', id]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toMatch(/already finished/);
  });

  it('refuses a bad spec with the field paths and exit code 2', async () => {
    await writeFile(path.join(dir, 'bad.json'), JSON.stringify({ count: 0, prompt: 'a {shape}' }));
    const res = await flowfarm(['dataset', 'create', 'bad.json', '--out', 'x']);
    expect(res.code).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('count:');
    expect(res.stderr).toContain('prompt: {shape} has no values in variables');
  });
});
