// The SDK as someone outside the monorepo gets it: built to dist-npm/, installed by path into a
// fresh folder, type-checked by a consumer with plain tsc and run with plain node (no tsx).
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = path.join(repo, 'packages', 'client', 'dist-npm');
let consumer: string;

const CONSUMER_SOURCE = `
import { FlowfarmClient, FlowfarmError, type JobView, type JobInput } from '@flowfarm/client';

const input: JobInput = { prompt: 'a red circle', width: 64, height: 64 };
// @ts-expect-error width must be a number: proves the contract types are real, not any
const wrong: JobInput = { prompt: 'x', width: '64' };
const status: JobView['status'] = 'succeeded';
void wrong;

const client = new FlowfarmClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', retry: { maxRetries: 0 } });
try {
  await client.submit(input);
  console.log('unexpected success');
} catch (err) {
  if (!(err instanceof FlowfarmError)) throw err;
  console.log(JSON.stringify({ status: err.status, code: err.code, ok: status }));
}
`;

beforeAll(async () => {
  await run('npm', ['run', 'build:npm', '-w', '@flowfarm/client'], { cwd: repo });
  consumer = await mkdtemp(path.join(tmpdir(), 'flowfarm-sdk-consumer-'));
  const modules = path.join(consumer, 'node_modules');
  await mkdir(path.join(modules, '@flowfarm'), { recursive: true });
  await symlink(dist, path.join(modules, '@flowfarm', 'client'), 'dir');
  // What `npm install ./dist-npm` would fetch: its declared dependencies (and TypeScript's Node types).
  for (const dep of ['standardwebhooks', 'zod', '@types/node']) {
    await mkdir(path.dirname(path.join(modules, dep)), { recursive: true });
    await symlink(path.join(repo, 'node_modules', dep), path.join(modules, dep), 'dir');
  }
  await writeFile(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  await writeFile(
    path.join(consumer, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2023', 'dom'], outDir: 'out', types: ['node'], skipLibCheck: true } }),
  );
  await writeFile(path.join(consumer, 'index.ts'), CONSUMER_SOURCE);
}, 300_000);

afterAll(async () => {
  if (consumer) await rm(consumer, { recursive: true, force: true });
});

describe('@flowfarm/client built to dist-npm/', () => {
  it('type-checks and compiles a consumer outside the monorepo, then runs under plain node', async () => {
    const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', consumer], { cwd: consumer });
    const { stdout } = await run(process.execPath, [path.join(consumer, 'out', 'index.js')], { cwd: consumer });
    expect(JSON.parse(stdout.trim())).toEqual({ status: 0, code: 'unreachable', ok: 'succeeded' });
  }, 180_000);
});
