import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { externalDataFiles, externalDataFilesOf } from './onnx-external-data.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const graphs = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? graphs(path.join(dir, e.name)) : e.name.endsWith('.onnx') ? [path.join(dir, e.name)] : []);
const files = [...graphs(path.join(root, 'packages', 'pipeline', 'test-fixtures')), ...graphs(path.join(root, 'models'))];
const tmp = mkdtempSync(path.join(tmpdir(), 'ff-external-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('externalDataFilesOf (reads the graph structure, skips the weights)', () => {
  it('finds what parsing the whole file finds, for every graph in the repository', () => {
    const withData = files.filter((f) => externalDataFiles(readFileSync(f)).length > 0);
    expect(withData.length).toBeGreaterThan(0); // the FLUX.1 layout fixture names external data
    for (const f of files) expect(externalDataFilesOf(f, statSync(f).size), f).toEqual(externalDataFiles(readFileSync(f)));
  });

  it('leaves a truncated or garbage file to onnxruntime (no throw)', () => {
    const source = files.find((f) => externalDataFiles(readFileSync(f)).length > 0)!;
    const cut = path.join(tmp, 'cut.onnx');
    writeFileSync(cut, readFileSync(source).subarray(0, 40));
    expect(externalDataFilesOf(cut, statSync(cut).size)).toEqual([]);
    const junk = path.join(tmp, 'junk.onnx');
    writeFileSync(junk, Buffer.from('not a protobuf at all \xff\xff\xff\xff'));
    expect(() => externalDataFilesOf(junk, statSync(junk).size)).not.toThrow();
  });
});
