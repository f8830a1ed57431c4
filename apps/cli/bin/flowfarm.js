#!/usr/bin/env node
// Runs the TypeScript CLI in this very process through tsx's loader, so a fresh clone needs
// no build step and a signal sent to `flowfarm` reaches the real process (a wrapper that
// spawned a child would leave it orphaned on SIGKILL).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

register();
const here = path.dirname(fileURLToPath(import.meta.url));
await import(path.join(here, '..', 'src', 'main.ts'));
