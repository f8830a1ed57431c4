// `npm run bench`: runs every bench/*.ts (except this file) one after another in its own
// process, so one benchmark's warm caches and threads never skew the next.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx/cli');
const only = process.argv.slice(2);
const files = readdirSync(here)
  // gpu-*.ts run on the GPU machine, from bench/gpu.sh
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts') && !f.startsWith('gpu-'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = 0;
for (const file of files) {
  process.stdout.write(`\n== bench/${file}\n`);
  const r = spawnSync(process.execPath, [tsx, '--conditions=development', path.join(here, file)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`bench/${file} failed (exit ${r.status ?? r.signal})\n`);
  }
}
process.exitCode = failed ? 1 : 0;
