// For tests: the shipped tiny-shapes model in a new folder under `dir`, its files linked and its
// manifest changed by `changes` (a key set to undefined is removed), so a test can load the same
// weights with another manifest setting.
import { mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHIPPED_MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'models', 'tiny-shapes');

export async function shippedModelVariant(dir: string, name: string, changes: Record<string, unknown>): Promise<string> {
  const target = path.join(dir, name);
  await mkdir(target);
  for (const file of await readdir(SHIPPED_MODEL_DIR)) if (file !== 'model.json') await symlink(path.join(SHIPPED_MODEL_DIR, file), path.join(target, file));
  const manifest = JSON.parse(await readFile(path.join(SHIPPED_MODEL_DIR, 'model.json'), 'utf8'));
  await writeFile(path.join(target, 'model.json'), JSON.stringify({ ...manifest, ...changes }));
  return target;
}
