// The `flowfarm` commands that talk to a farm, run as real processes against a running farm:
// each command's --json output, the human output of `generate --api`, exit codes, and the
// one-line errors people hit (wrong key, farm down, bad flags).
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowfarmClient } from '@flowfarm/client';
import { REPO_ROOT, startTestFarm, type TestFarm } from '../client/test-farm.js';

const MAIN = path.join(REPO_ROOT, 'apps', 'cli', 'src', 'main.ts');
// By URL: the commands run in a scratch folder where the bare name `tsx` does not resolve.
const TSX = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
let farm: TestFarm;
// Kept so afterAll stops a farm whose start outlived a timed-out beforeAll.
let farmStarting: Promise<TestFarm> | undefined;
let outDir: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function flowfarm(args: string[], env: NodeJS.ProcessEnv = farm.cliEnv()): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--conditions=development', '--import', TSX, MAIN, ...args], { cwd: outDir, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function json<T = Record<string, unknown>>(result: CliResult): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

beforeAll(async () => {
  farmStarting = startTestFarm();
  farm = await farmStarting;
  outDir = await mkdtemp(path.join(tmpdir(), 'flowfarm-cli-test-'));
}, 180_000);

afterAll(async () => {
  await farmStarting?.then((started) => started.close(), () => {});
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('flowfarm CLI against a running farm', { timeout: 180_000 }, () => {
  let jobId = '';

  it('generate --api --json saves the PNG and prints the finished job', async () => {
    const result = json<{ id: string; status: string; outputs: string[]; seeds: number[] }>(
      await flowfarm(['generate', 'a red circle on a blue background', '--api', farm.url, '--seed', '3', '--steps', '2', '--out', 'circle.png', '--json']),
    );
    expect(result.status).toBe('succeeded');
    expect(result.seeds).toEqual([3]);
    expect(result.outputs).toEqual([path.join(outDir, 'circle.png')]);
    const png = await readFile(result.outputs[0]!);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    jobId = result.id;
  });

  it('generate --api --image starts from a file or from a result URL of the farm', async () => {
    const start = await readFile(path.join(outDir, 'circle.png'));
    const fromFile = json<{ id: string; status: string }>(
      await flowfarm(['generate', 'a red circle on a green background', '--api', farm.url, '--image', 'circle.png', '--strength', '0.5', '--out', 'from-file.png', '--json']),
    );
    expect(fromFile.status).toBe('succeeded');
    const job = json<{ input: { strength: number }; input_image: { sha256: string } }>(await flowfarm(['jobs', 'get', fromFile.id, '--json']));
    expect(job.input.strength).toBe(0.5);
    expect(job.input_image.sha256).toBe(createHash('sha256').update(start).digest('hex'));

    // the first job's output URL, handed back as the starting image
    const first = json<{ outputs: Array<{ url: string }> }>(await flowfarm(['jobs', 'get', jobId, '--json']));
    const fromUrl = json<{ id: string; status: string }>(
      await flowfarm(['generate', 'a red circle on a green background', '--api', farm.url, '--image', first.outputs[0]!.url, '--out', 'from-url.png', '--json']),
    );
    expect(fromUrl.status).toBe('succeeded');
    const again = json<{ input_image: { sha256: string } }>(await flowfarm(['jobs', 'get', fromUrl.id, '--json']));
    expect(again.input_image.sha256).toBe(job.input_image.sha256);

    const missing = await flowfarm(['generate', 'x', '--api', farm.url, '--image', 'no-such-file.png']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read no-such-file.png');
    expect((await flowfarm(['generate', 'x', '--api', farm.url, '--strength', '0.5'])).code).toBe(2);
  });

  it('generate --api shows the queue position, each step, then the saved file', async () => {
    const result = await flowfarm(['generate', 'a green square', '--api', farm.url, '--steps', '3', '--out', 'square.png']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/job \S+ queued/);
    expect(result.stderr).toContain('step 3/3');
    expect(result.stderr.indexOf('queued')).toBeLessThan(result.stderr.indexOf('step 1/3'));
    expect(result.stdout).toMatch(/^wrote square\.png \(seed \d+\)$/m);
  });

  it('models, workers and queues --json describe the farm', async () => {
    const models = json<{ data: Array<{ name: string; workers: number }> }>(await flowfarm(['models', '--json']));
    expect(models.data).toContainEqual(expect.objectContaining({ name: farm.model, workers: 1 }));
    const workers = json<{ data: Array<{ models: Array<{ name: string }>; busy: number }> }>(await flowfarm(['workers', '--json']));
    expect(workers.data).toHaveLength(1);
    expect(workers.data[0]!.models.map((m) => m.name)).toEqual([farm.model]);
    const queues = json<{ data: Array<{ model: string; waiting: number; active: number; workers: number }> }>(await flowfarm(['queues', '--json']));
    expect(queues.data).toContainEqual(expect.objectContaining({ model: farm.model, waiting: 0, active: 0, workers: 1 }));
  });

  it('jobs list / get --json show the tenant jobs', async () => {
    const list = json<{ data: Array<{ id: string }>; next_cursor: string | null }>(await flowfarm(['jobs', 'list', '--limit', '10', '--json']));
    expect(list.data.map((job) => job.id)).toContain(jobId);
    const job = json<{ id: string; status: string; input: { seed: number } }>(await flowfarm(['jobs', 'get', jobId, '--json']));
    expect(job).toMatchObject({ id: jobId, status: 'succeeded', input: { seed: 3 } });
  });

  it('keys create / list / revoke --json manage tenant keys, and a revoked key is refused in one line', async () => {
    const created = json<{ id: string; tenant: string; key: string }>(await flowfarm(['keys', 'create', '--tenant', 'initech', '--name', 'ci', '--json']));
    expect(created.tenant).toBe('initech');
    const asInitech = farm.cliEnv({ FLOWFARM_API_KEY: created.key });
    expect(json<{ data: unknown[] }>(await flowfarm(['jobs', 'list', '--json'], asInitech)).data).toEqual([]);
    const keys = json<{ data: Array<{ id: string; tenant: string }> }>(await flowfarm(['keys', 'list', '--json']));
    expect(keys.data).toContainEqual(expect.objectContaining({ id: created.id, tenant: 'initech' }));
    expect(json(await flowfarm(['keys', 'revoke', created.id, '--json']))).toEqual({ id: created.id, revoked: true });
    const refused = await flowfarm(['models', '--json'], asInitech);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toEqual(['flowfarm models: the farm rejected the API key (check FLOWFARM_API_KEY / FLOWFARM_ADMIN_KEY)']);
  });

  it('says in one line when the farm is unreachable, and uses exit code 2 for usage errors', async () => {
    const down = await flowfarm(['jobs', 'list'], farm.cliEnv({ FLOWFARM_API_URL: 'http://127.0.0.1:9' }));
    expect(down.code).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toContain('cannot reach the farm at http://127.0.0.1:9');
    expect((await flowfarm(['jobs', 'frobnicate'])).code).toBe(2);
    expect((await flowfarm(['generate', '--api', farm.url])).code).toBe(2);
    const badSize = await flowfarm(['generate', 'a circle', '--api', farm.url, '--width', '72']);
    expect(badSize.code).toBe(2);
    expect(badSize.stderr).toContain('width');
    expect((await flowfarm(['queues'], farm.cliEnv({ FLOWFARM_ADMIN_KEY: '' }))).code).toBe(2);
  });

  it('tenants set, generate --priority and usage: the policy, a high job, and its usage as JSON, a table and CSV', async () => {
    const policy = json<{ tenant: string; weight: number; max_priority: string; quotas: { daily_images: number | null } }>(
      await flowfarm(['tenants', 'set', 'acme', '--weight', '2', '--max-priority', 'high', '--daily-images', '1000', '--json']),
    );
    expect(policy).toMatchObject({ tenant: 'acme', weight: 2, max_priority: 'high', quotas: { daily_images: 1000 } });
    const job = json<{ status: string; job: { input: { priority: string; start_timeout: number } } }>(
      await flowfarm(['generate', 'a small green triangle', '--api', farm.url, '--steps', '2', '--priority', 'high', '--start-timeout', '60', '--cancel-after', '5m', '--out', 'high.png', '--json']),
    );
    expect(job).toMatchObject({ status: 'succeeded', job: { input: { priority: 'high', start_timeout: 60 } } });

    const usage = json<{ data: Array<{ model: string; jobs: number; images: number }>; quotas: { daily_images: number }; reserved: { day: { images: number } } }>(await flowfarm(['usage', '--by', 'model', '--json']));
    expect(usage.data).toEqual([expect.objectContaining({ model: 'tiny-shapes' })]);
    expect(usage.data[0]!.jobs).toBeGreaterThanOrEqual(3);
    expect(usage.quotas.daily_images).toBe(1000);
    const table = await flowfarm(['usage']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^DAY\s+JOBS\s+IMAGES\s+MEGAPIXEL-STEPS\s+GPU-SECONDS/);
    expect(table.stdout).toMatch(/today images \d+ of 1000/);
    const csv = await flowfarm(['usage', '--all', '--by', 'model', '--csv']);
    expect(csv.stdout.split('\r\n')[0]).toBe('model,tenant,jobs,images,megapixel_steps,gpu_seconds');
    expect(csv.stdout).toContain('tiny-shapes,acme,');

    expect((await flowfarm(['tenants', 'set', 'acme', '--weight', 'heavy'])).code).toBe(2);
    expect((await flowfarm(['generate', 'x', '--api', farm.url, '--priority', 'urgent'])).code).toBe(2);
    expect((await flowfarm(['generate', 'x', '--priority', 'high', '--out', 'x.png'])).code).toBe(2);
    json(await flowfarm(['tenants', 'set', 'acme', '--weight', '1', '--max-priority', 'normal', '--daily-images', 'none', '--json']));
  });

  it('jobs cancel --json cancels a queued job; cancelling a finished one fails with exit 1', async () => {
    const finished = await flowfarm(['jobs', 'cancel', jobId]);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toContain('already succeeded');

    await farm.stopWorker();
    const queued = await new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey }).submit({ prompt: 'a blue triangle' });
    const canceled = json<{ id: string; status: string }>(await flowfarm(['jobs', 'cancel', queued.id, '--json']));
    expect(canceled).toMatchObject({ id: queued.id, status: 'canceled' });
  });
});
