// The creative controls end to end on a running farm (API + a real worker on tiny-shapes):
// through the SDK, the CLI (`generate --api`) and the playground in headless Chromium. One farm
// serves the three, since starting one costs most of this file's time on small machines.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowfarmClient } from '@flowfarm/client';
import { decodeOutputImage } from '@flowfarm/pipeline';
import { REPO_ROOT, startTestFarm, type TestFarm } from '../client/test-farm.js';
import { enterKey, generateInPlayground, launchChromium } from './playground-flow.js';

const MAIN = path.join(REPO_ROOT, 'apps', 'cli', 'src', 'main.ts');
const TSX = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const run = (file: string, args: string[], options: object) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(file, args, options, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }));
  });

let farm: TestFarm;
let farmStarting: Promise<TestFarm> | undefined;
let browser: Browser | undefined;
let outDir: string;
let client: FlowfarmClient;
const prompt = 'a large red circle in the center on a blue background';

beforeAll(async () => {
  farmStarting = startTestFarm();
  await run('npm', ['run', 'build', '-w', '@flowfarm/web'], { cwd: REPO_ROOT });
  farm = await farmStarting;
  client = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey });
  outDir = await mkdtemp(path.join(tmpdir(), 'ff-creative-'));
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await farmStarting?.then((started) => started.close(), () => {});
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('creative controls end to end', { timeout: 180_000 }, () => {
  it('SDK: jpeg and webp jobs store files of that type with the parameters inside, smaller than png', async () => {
    const sizes: Record<string, number> = {};
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const queued = await client.submit({ prompt, seed: 21, width: 128, height: 128, output_format: format, ...(format === 'png' ? {} : { output_quality: 85 }) });
      const job = await client.wait(queued.id, { timeoutMs: 120_000 });
      expect(job.status).toBe('succeeded');
      expect(job.input.output_format).toBe(format);
      const output = job.outputs[0]!;
      expect(output.content_type).toBe(`image/${format}`);
      expect(output.url).toMatch(format === 'jpeg' ? /\/0\.jpg\?/ : new RegExp(`/0\\.${format}\\?`));
      const bytes = await client.download(output);
      expect(bytes.byteLength).toBe(output.bytes);
      const image = await decodeOutputImage(bytes);
      expect(image).toMatchObject({ format, width: 128, height: 128 });
      expect(image.parameters).toMatchObject({ prompt, seed: '21', size: '128x128', model: farm.model });
      if (format !== 'png') expect(image.parameters).toMatchObject({ format, quality: '85' });
      sizes[format] = bytes.byteLength;
    }
    expect(sizes.jpeg).toBeLessThan(sizes.png);
    expect(sizes.webp).toBeLessThan(sizes.png);
  });

  it('SDK: aspect_ratio and ultra render at the picked size and record both', async () => {
    for (const [input, size] of [[{ aspect_ratio: '16:9' as const }, [80, 48]], [{ ultra: true }, [128, 128]]] as const) {
      const job = await client.wait((await client.submit({ prompt, seed: 2, ...input })).id, { timeoutMs: 120_000 });
      expect(job.status).toBe('succeeded');
      expect([job.outputs[0]!.width, job.outputs[0]!.height]).toEqual(size);
      expect(job.input).toMatchObject({ ...input, width: size[0], height: size[1] });
      const image = await decodeOutputImage(await client.download(job.outputs[0]!));
      expect([image.width, image.height]).toEqual(size);
      expect(image.parameters).toMatchObject('ultra' in input ? { ultra: 'true', aspect_ratio: '1:1' } : { aspect_ratio: '16:9' });
    }
  });

  it('SDK: a palette job uses only the palette colors', async () => {
    const palette = ['#1D3557', '#e63946', '#f1faee'];
    const job = await client.wait((await client.submit({ prompt, seed: 8, palette })).id, { timeoutMs: 120_000 });
    expect(job.status).toBe('succeeded');
    expect(job.input.palette).toEqual(['#1d3557', '#e63946', '#f1faee']);
    const image = await decodeOutputImage(await client.download(job.outputs[0]!));
    expect(image.parameters.palette).toBe('#1d3557,#e63946,#f1faee');
    const seen = new Set<string>();
    for (let p = 0; p < image.rgb.length; p += 3) seen.add(`#${[...image.rgb.subarray(p, p + 3)].map((v) => v.toString(16).padStart(2, '0')).join('')}`);
    expect([...seen].every((c) => job.input.palette!.includes(c))).toBe(true);
  });

  it('SDK: a tenant style preset is stored, listed, applied to a job (shown in its view and file) and deleted', async () => {
    await client.putStyle('house', { prompt_template: 'a large {prompt} in the center on a white background', defaults: { steps: 6 } });
    expect((await client.styles()).map((s) => s.name)).toEqual(expect.arrayContaining(['sticker', 'brand', 'house']));
    const job = await client.wait((await client.submit({ prompt: 'green square', style: 'house', seed: 12 })).id, { timeoutMs: 120_000 });
    expect(job.status).toBe('succeeded');
    expect(job.input).toMatchObject({ style: 'house', steps: 6 });
    expect(job.style).toMatchObject({ prompt: 'a large green square in the center on a white background', applied: ['steps'], preset: { name: 'house', source: 'tenant' } });
    const image = await decodeOutputImage(await client.download(job.outputs[0]!));
    expect(image.parameters).toMatchObject({ prompt: 'a large green square in the center on a white background', style: 'house', steps: '6' });
    await client.deleteStyle('house');
    expect((await client.styles()).map((s) => s.name)).not.toContain('house');
  });

  it('API: bad values are 422 with the field path', async () => {
    const res = await fetch(`${farm.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${farm.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt, output_format: 'png', output_quality: 50 }),
    });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path)).toEqual(['output_quality']);
  });

  it('CLI: generate --api --format webp saves <job id>.webp', async () => {
    const result = await run(process.execPath, ['--import', TSX, MAIN, 'generate', prompt, '--api', farm.url, '--seed', '4', '--format', 'webp', '--quality', '60', '--json'], { cwd: outDir, env: farm.cliEnv(), timeout: 60_000 });
    expect(result.stderr).toBe('');
    const summary = JSON.parse(result.stdout) as { id: string; outputs: string[] };
    expect(summary.outputs).toEqual([path.join(outDir, `${summary.id}.webp`)]);
    const image = await decodeOutputImage(await readFile(summary.outputs[0]!));
    expect(image.parameters).toMatchObject({ prompt, seed: '4', format: 'webp', quality: '60' });
  });

  it('CLI: generate --api --stage saves each stage, the final one at --out', async () => {
    const out = path.join(outDir, 'chain.png');
    const result = await run(process.execPath, ['--import', TSX, MAIN, 'generate', prompt, '--api', farm.url, '--seed', '4', '--steps', '4', '--stage', 'a large red circle in the center on a yellow background', '--stage-strength', '0.75', '--out', out, '--json'], { cwd: outDir, env: farm.cliEnv(), timeout: 60_000 });
    expect(result.stderr).toBe('');
    const summary = JSON.parse(result.stdout) as { id: string; outputs: string[]; job: { input: { stages: unknown[] } } };
    expect(summary.outputs).toEqual([path.join(outDir, 'chain-stage0.png'), out]);
    expect(summary.job.input.stages).toHaveLength(2);
    const image = await decodeOutputImage(await readFile(out));
    expect(image.parameters).toMatchObject({ stage: '1', stages: '2', strength: '0.75', seed: '5' });
  });

  it('playground: "Add stage" makes a prompt chain; the final stage is shown, every stage listed', async () => {
    browser ??= await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${farm.url}/`);
    await enterKey(page, '#api-key', farm.apiKey);
    await page.click('#add-stage');
    await page.fill('#stages .stage-prompt', 'a large red circle in the center on a yellow background');
    await page.fill('#stages .stage-strength', '0.75');
    const outcome = await generateInPlayground(page, prompt, { steps: 4, seed: 13, model: farm.model });
    expect(outcome.statuses.at(-1)).toBe('Done');
    const shown = await page.evaluate(() => (document.getElementById('job-image') as HTMLImageElement).src);
    expect(shown).toMatch(/\/1\.png\?/);
    expect(await page.$$eval('#job-outputs [data-stage]', (nodes) => nodes.map((n) => n.getAttribute('data-stage')))).toEqual(['0', '1']);
    const [latest] = (await client.list({ limit: 1 })).data;
    expect(latest!.input.stages).toEqual([
      { prompt, steps: 4, seed: 13 },
      { prompt: 'a large red circle in the center on a yellow background', steps: 4, seed: 14, strength: 0.75 },
    ]);
    expect(latest!.outputs.map((o) => o.stage)).toEqual([0, 1]);
    await page.close();
  });

  it('playground: the style, format, quality, aspect-ratio and palette controls reach the job', async () => {
    browser ??= await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${farm.url}/`);
    await enterKey(page, '#api-key', farm.apiKey);
    expect(await page.isDisabled('#output-quality')).toBe(true); // png: no quality
    await page.selectOption('#output-format', 'jpeg');
    expect(await page.isDisabled('#output-quality')).toBe(false);
    await page.fill('#output-quality', '70');
    await page.selectOption('#aspect-ratio', '16:9');
    await page.fill('#palette', '#e63946, #1d3557');
    await page.waitForSelector('#style option[value="sticker"]', { state: 'attached' });
    await page.selectOption('#style', 'sticker');
    expect(await page.isDisabled('#width')).toBe(true);
    const outcome = await generateInPlayground(page, prompt, { steps: 4, seed: 9, model: farm.model });
    expect(outcome.statuses.at(-1)).toBe('Done');
    expect(outcome.imageWidth).toBe(80);
    const shown = await page.evaluate(() => (document.getElementById('job-image') as HTMLImageElement).src);
    expect(shown).toMatch(/\/0\.jpg\?/);
    const [latest] = (await client.list({ limit: 1 })).data;
    expect(latest!.input).toMatchObject({ output_format: 'jpeg', output_quality: 70, seed: 9, aspect_ratio: '16:9', width: 80, height: 48, palette: ['#e63946', '#1d3557'], style: 'sticker' });
    expect(latest!.style?.prompt).toBe(`a large ${prompt} in the center on a white background`);
    await page.close();
  });
});
