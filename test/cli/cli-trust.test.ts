// `flowfarm moderation …` (and, with provenance, `flowfarm verify`) run as real processes
// against a running farm: what an operator types and what they see, exit codes included.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from 'fast-png';
import sharp from 'sharp';
import { FlowfarmClient } from '@flowfarm/client';
import { insertBeforeIend, itxtChunk, pngPixelsRgb8, readPngProvenance } from '@flowfarm/trust';
import { REPO_ROOT, startTestFarm, type TestFarm } from '../client/test-farm.js';

const MAIN = path.join(REPO_ROOT, 'apps', 'cli', 'src', 'main.ts');
const TSX = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
let farm: TestFarm;
let farmStarting: Promise<TestFarm> | undefined;
let outDir: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function flowfarm(args: string[], env: NodeJS.ProcessEnv = farm.cliEnv()): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: outDir, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  farmStarting = startTestFarm();
  farm = await farmStarting;
  outDir = await mkdtemp(path.join(tmpdir(), 'flowfarm-cli-trust-'));
}, 180_000);

afterAll(async () => {
  await farmStarting?.then((started) => started.close(), () => {});
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('flowfarm moderation', { timeout: 120_000 }, () => {
  it('adds a tenant term, blocks jobs with it (also spelled apart), checks and removes it', async () => {
    const added = await flowfarm(['moderation', 'add-term', 'zebra', '--tenant', 'acme', '--category', 'brand safety']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    const shown = await flowfarm(['moderation', 'show', '--tenant', 'acme']);
    expect(shown.stdout).toMatch(/term\s+zebra\s+brand safety\s+7/);

    const client = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey });
    const job = await client.submit({ prompt: 'a Z-E-B-R-A on a blue background' });
    expect(job).toMatchObject({ status: 'moderated', moderation: { stage: 'prompt' } });
    const audit = JSON.parse((await flowfarm(['audit', '--tenant', 'acme', '--limit', '1', '--json'])).stdout);
    expect(audit.data[0]).toMatchObject({ job_id: job.id, tenant: 'acme', outcome: 'moderated', stage: 'prompt' });
    expect((await flowfarm(['audit', '--tenant', 'acme'])).stdout).toContain(`${job.id}  moderated (prompt: prompt matches the tenant's "brand safety" list)`);

    const check = await flowfarm(['moderation', 'check', 'zebr4 stripes', '--tenant', 'acme']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('blocked (safety_tolerance 2): term "zebra" of tenant category "brand safety"');
    expect((await flowfarm(['moderation', 'check', 'a red circle'])).stdout).toContain('allowed');

    expect((await flowfarm(['moderation', 'remove-term', 'zebra', '--tenant', 'acme'])).code).toBe(0);
    expect((await flowfarm(['moderation', 'check', 'zebra', '--tenant', 'acme'])).code).toBe(0);
  });

  it('caps safety_tolerance and replaces policies from a file; bad input is a one-line usage error', async () => {
    expect((await flowfarm(['moderation', 'set-cap', '1', '--tenant', 'globex'])).stdout).toContain('capped at 1');
    const capped = JSON.parse((await flowfarm(['moderation', 'check', 'a nude statue', '--tenant', 'globex', '--tolerance', '6', '--json'])).stdout);
    expect(capped).toMatchObject({ blocked: true, safety_tolerance: 1 });

    const file = path.join(outDir, 'policy.json');
    await writeFile(file, JSON.stringify({ terms: [{ term: 'circle', category: 'test' }], patterns: [{ pattern: '(' }] }));
    const invalid = await flowfarm(['moderation', 'set', '--file', file]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);
    expect(invalid.stderr).toContain('patterns.0.pattern');
    expect((await flowfarm(['moderation', 'set-cap', '9'])).code).toBe(2);
    const noKey = await flowfarm(['moderation', 'show'], farm.cliEnv({ FLOWFARM_ADMIN_KEY: '' }));
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('FLOWFARM_ADMIN_KEY');
  });
});

describe('signed provenance and watermark on real renders', { timeout: 180_000 }, () => {
  it('signs every PNG; verify says valid, tampered after one pixel changes, and finds the job by watermark once metadata is stripped', async () => {
    const client = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey });
    const submitted = await client.submit({ prompt: 'a large red circle at the center on a blue background', seed: 11 });
    const job = await client.wait(submitted.id, { timeoutMs: 120_000 });
    expect(job.status).toBe('succeeded');
    const png = await client.download(job.outputs[0]);
    await writeFile(path.join(outDir, 'render.png'), png);

    const valid = await flowfarm(['verify', 'render.png']);
    expect(valid).toMatchObject({ code: 0, stderr: '' });
    expect(valid.stdout).toContain('valid: signed by this farm and unchanged');
    expect(valid.stdout).toContain(`job ${job.id} (tenant acme), image 0, model tiny-shapes`);

    // The API's record, the key set, and the record in the file agree.
    const record = (await client.provenance(job.id)).data[0];
    expect(record.provenance?.manifest).toMatchObject({ job_id: job.id, tenant: 'acme', params: { prompt: job.input.prompt, seed: 11, steps: job.input.steps } });
    // every file model.json names, hashed
    const manifest = JSON.parse(await readFile(path.join(REPO_ROOT, 'models', 'tiny-shapes', 'model.json'), 'utf8')) as { files: Record<string, string>; tokenizers: Record<string, string> };
    const roles = [...Object.keys(manifest.files), ...Object.keys(manifest.tokenizers).map((k) => `tokenizer.${k}`)].sort();
    expect(Object.keys(record.provenance!.manifest.model.files).sort()).toEqual(roles);
    expect(record.provenance!.manifest.model.files.transformer).toMatch(/^[0-9a-f]{64}$/);
    const keys = await client.publicKeys();
    expect(keys.keys.map((k) => k.kid)).toContain(record.provenance!.kid);
    expect(JSON.parse(readPngProvenance(png).texts[0])).toEqual(record.provenance);

    // One pixel changed, the record copied over: tampered.
    const { width, height, rgb } = pngPixelsRgb8(png);
    const changed = Uint8Array.from(rgb);
    changed[100] ^= 1;
    const forged = insertBeforeIend(encode({ width, height, data: changed, channels: 3, depth: 8 }), itxtChunk('flowfarm-provenance', readPngProvenance(png).texts[0]));
    await writeFile(path.join(outDir, 'forged.png'), forged);
    const tampered = await flowfarm(['verify', 'forged.png']);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('TAMPERED');
    expect(tampered.stdout).toContain('the pixels differ from the signed ones');

    // Metadata stripped (pixels re-encoded without any chunk): unsigned, but the watermark names the job.
    const stripped = await client.verify(encode({ width, height, data: rgb, channels: 3, depth: 8 }));
    expect(stripped).toMatchObject({ status: 'unsigned', watermark: { found: true, payload: record.watermark, job_id: job.id, image_index: 0 } });
    // Another tenant learns that a watermark is there, not whose job it is.
    const globex = new FlowfarmClient({ baseUrl: farm.url, apiKey: 'key-globex' });
    expect((await globex.verify(encode({ width, height, data: rgb, channels: 3, depth: 8 }))).watermark).toMatchObject({ found: true, job_id: null });

    // Offline, against the saved key set; and against another farm's keys.
    await writeFile(path.join(outDir, 'keys.json'), JSON.stringify(keys));
    const offline = JSON.parse((await flowfarm(['verify', 'render.png', '--keys', 'keys.json', '--json'])).stdout);
    expect(offline).toMatchObject({ status: 'valid', kid: record.provenance!.kid });
    await writeFile(path.join(outDir, 'other-keys.json'), JSON.stringify({ keys: [] }));
    const unknown = await flowfarm(['verify', 'render.png', '--keys', 'other-keys.json']);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.stdout).toContain('unknown key');
    expect((await flowfarm(['verify', 'missing.png'])).code).toBe(2);
  });

  it.each(['jpeg', 'webp'] as const)('signs %s outputs too: the API and `flowfarm verify` say valid, one changed byte says tampered', async (format) => {
    const client = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey });
    const submitted = await client.submit({ prompt: 'a large blue square in the center on a white background', seed: 4, output_format: format });
    const job = await client.wait(submitted.id, { timeoutMs: 120_000 });
    expect(job.status).toBe('succeeded');
    const file = await client.download(job.outputs[0]);
    const record = (await client.provenance(job.id)).data[0];
    expect(record.provenance?.manifest).toMatchObject({ job_id: job.id, params: { output_format: format }, image: { content_type: `image/${format}` } });
    expect(await client.verify(file, { contentType: `image/${format}` })).toMatchObject({ status: 'valid', kid: record.provenance!.kid });
    await writeFile(path.join(outDir, `render.${format}`), file);
    const valid = await flowfarm(['verify', `render.${format}`]);
    expect(valid.stdout).toContain('valid: signed by this farm and unchanged');
    const changed = Uint8Array.from(file);
    changed[changed.length - 60] ^= 1;
    expect((await client.verify(changed, { contentType: `image/${format}` })).status).toBe('tampered');
  });

  it('finds the watermark of a 256x256 render after JPEG quality 75, a 0.5x resize and a 10 % crop', async () => {
    const client = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey });
    const submitted = await client.submit({ prompt: 'a small yellow triangle at the top left on a green background', width: 256, height: 256, seed: 5 });
    const job = await client.wait(submitted.id, { timeoutMs: 120_000 });
    expect(job.status).toBe('succeeded');
    const png = await client.download(job.outputs[0]);
    const image = sharp(png);
    const variants = {
      jpeg75: await image.clone().jpeg({ quality: 75 }).toBuffer(),
      half: await image.clone().resize(128, 128).png().toBuffer(),
      crop10: await image.clone().extract({ left: 13, top: 13, width: 230, height: 230 }).png().toBuffer(),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      const result = await client.verify(new Uint8Array(bytes));
      expect(result.status, name).toBe('unsigned');
      expect(result.watermark, name).toMatchObject({ found: true, job_id: job.id });
    }
    await writeFile(path.join(outDir, 'small.jpg'), variants.jpeg75);
    const cli = await flowfarm(['verify', 'small.jpg']);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`watermark: found`);
    expect(cli.stdout).toContain(`job ${job.id} image 0`);
  });
});
