// The compiled build stays whole as workspaces and dependencies are added: every package and
// app (except the Vite-built web UI) is a project in tsconfig.build.json, references exactly
// the workspaces it depends on (so `tsc -b` builds them first), and exports its compiled
// dist/ with the sources under the "development" condition.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  exports: Record<string, Record<string, string>>;
  bin?: Record<string, string>;
  extends?: string;
  references?: Array<{ path: string }>;
}
const readJson = (rel: string) => JSON.parse(readFileSync(path.join(root, rel), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as Manifest;
const workspaces = ['packages', 'apps']
  .flatMap((dir) => readdirSync(path.join(root, dir)).map((name) => `${dir}/${name}`))
  .filter((ws) => existsSync(path.join(root, ws, 'package.json')) && ws !== 'apps/web');
const nameOf = new Map(workspaces.map((ws) => [readJson(`${ws}/package.json`).name, ws]));

describe('compiled build configuration', () => {
  it('tsconfig.build.json builds every workspace', () => {
    const refs = (readJson('tsconfig.build.json').references ?? []).map((r) => path.dirname(r.path));
    expect(refs.sort()).toEqual([...workspaces].sort());
  });

  it.each(workspaces)('%s references the workspaces it depends on and exports dist/ (sources under "development")', (ws) => {
    const pkg = readJson(`${ws}/package.json`);
    const build = readJson(`${ws}/tsconfig.build.json`);
    expect(build.extends).toBe(path.relative(ws, 'tsconfig.build.base.json'));
    const deps = Object.keys(pkg.dependencies ?? {}).filter((d) => nameOf.has(d));
    const refs = (build.references ?? []).map((r) => path.normalize(path.join(ws, path.dirname(r.path))));
    expect(refs.sort(), `${ws}/tsconfig.build.json references`).toEqual(deps.map((d) => nameOf.get(d)).sort());
    if (ws === 'apps/cli') {
      expect(pkg.bin).toEqual({ flowfarm: 'bin/flowfarm.js' });
      return;
    }
    expect(pkg.exports['.']).toEqual({ development: './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' });
    expect(Object.keys(pkg.exports['.'])[0], 'the development condition must come first').toBe('development');
  });
});
