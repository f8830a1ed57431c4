import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('documentation stays true', () => {
  it('docs/configuration.md is what scripts/config-docs.ts generates from the config schemas', () => {
    const generated = execFileSync(process.execPath, ['--conditions=development', '--import', 'tsx', path.join(root, 'scripts/config-docs.ts')], {
      cwd: root,
      encoding: 'utf8',
    });
    const committed = readFileSync(path.join(root, 'docs/configuration.md'), 'utf8');
    expect(committed, 'run: npx tsx --conditions=development scripts/config-docs.ts > docs/configuration.md').toBe(generated);
  });

  it('README keeps the two-line quick start and links only to files that exist', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toContain('npm test');
    const links = [...readme.matchAll(/\]\(((?!https?:)[^)#\s]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(5);
    for (const link of links) {
      expect(() => readFileSync(path.join(root, link)), link).not.toThrow();
    }
  });
});
