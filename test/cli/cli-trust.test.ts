// `flowfarm moderation …` (and, with provenance, `flowfarm verify`) run as real processes
// against a running farm: what an operator types and what they see, exit codes included.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowfarmClient } from '@flowfarm/client';
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
