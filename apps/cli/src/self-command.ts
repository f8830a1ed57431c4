// How to start this CLI again as a child process (`flowfarm up` starts its workers this way):
// the compiled entry with plain node, or — when this process itself runs the TypeScript
// sources (tests, development) — the sources through tsx with the "development" condition, so
// the child resolves the workspace packages to their sources as well.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');

/** Node arguments (before the subcommand) that run `flowfarm` in a new process. */
export function selfCommandArgs(): string[] {
  const main = path.join(path.dirname(here), fromSource ? 'main.ts' : 'main.js');
  return fromSource ? ['--conditions=development', '--import', import.meta.resolve('tsx'), main] : [main];
}
