// resolveRequest for the creative controls: aspect ratio / ultra sizes and output formats.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readManifest } from './manifest.js';
import { resolveRequest } from './resolve.js';

const manifest = readManifest(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models', 'tiny-shapes'));

describe('resolveRequest: aspect ratio and ultra', () => {
  it('sizes from the manifest base size and records the choice', () => {
    expect(resolveRequest({ prompt: 'x', seed: 1, aspectRatio: '16:9' }, manifest)).toMatchObject({ width: 80, height: 48, aspectRatio: '16:9' });
    expect(resolveRequest({ prompt: 'x', seed: 1, ultra: true }, manifest)).toMatchObject({ width: 128, height: 128, ultra: true });
  });

  it('accepts the size the ratio picks, and refuses another one or an unknown ratio', () => {
    expect(resolveRequest({ prompt: 'x', seed: 1, aspectRatio: '9:16', width: 48, height: 80 }, manifest)).toMatchObject({ width: 48, height: 80 });
    expect(() => resolveRequest({ prompt: 'x', aspectRatio: '16:9', width: 64 }, manifest)).toThrow(/means 80x48; leave width and height out/);
    expect(() => resolveRequest({ prompt: 'x', aspectRatio: '5:4' as never }, manifest)).toThrow(/aspectRatio must be one of/);
  });

  it('refuses more pixels than the manifest allows', () => {
    expect(() => resolveRequest({ prompt: 'x', ultra: true }, { ...manifest, maxPixels: 8192 })).not.toThrow();
    expect(() => resolveRequest({ prompt: 'x', width: 256, height: 256 }, { ...manifest, maxPixels: 8192 })).toThrow(/more than the model's 8192 pixels/);
  });
});
