// After `tsc -p tsconfig.npm.json`: make dist-npm/ a self-contained package. The SDK's only
// import of @flowfarm/contracts is type-only (src/contract-types.ts); it is pointed at the
// declarations compiled next to it, and dist-npm/ gets its own package.json and README so it can
// be packed (`npm pack ./dist-npm`) or installed by path from outside the monorepo.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = `${root}dist-npm/`;

for (const file of ['client/src/contract-types.d.ts', 'client/src/contract-types.js']) {
  const path = dist + file;
  const text = readFileSync(path, 'utf8');
  writeFileSync(path, text.replaceAll("'@flowfarm/contracts'", "'../../contracts/src/index.js'"));
}

const source = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const contracts = JSON.parse(readFileSync(`${root}../contracts/package.json`, 'utf8'));
const runtime = { ...source.dependencies };
delete runtime['@flowfarm/contracts'];
const manifest = {
  name: source.name,
  version: source.version,
  description: 'Typed TypeScript client for a flowfarm render farm (Node 20+ and browsers)',
  type: 'module',
  exports: { '.': { types: './client/src/index.d.ts', default: './client/src/index.js' } },
  types: './client/src/index.d.ts',
  engines: { node: '>=20' },
  // zod is needed only for the bundled contract declarations (types), not at run time.
  dependencies: { ...runtime, zod: contracts.dependencies.zod },
  sideEffects: false,
};
writeFileSync(`${dist}package.json`, `${JSON.stringify(manifest, null, 2)}\n`);
copyFileSync(`${root}README.md`, `${dist}README.md`);
console.log(`built ${manifest.name}@${manifest.version} in ${dist}`);
