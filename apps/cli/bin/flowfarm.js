#!/usr/bin/env node
// Runs the compiled CLI (apps/cli/dist, built by `npm ci` / `npm run build`) in this very
// process, so a signal sent to `flowfarm` reaches the real process (a wrapper that spawned a
// child would leave it orphaned on SIGKILL). Only compiled JavaScript runs here; development
// runs apps/cli/src/main.ts itself under the `development` condition (README, "Development").
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('flowfarm: the CLI is not built (apps/cli/dist is missing); run `npm run build` in the repository\n');
  process.exit(1);
}
await import(main.href);
