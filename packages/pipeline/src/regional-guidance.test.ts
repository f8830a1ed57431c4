import { describe, expect, it } from 'vitest';
import { blendVelocities, checkLayout, expandRows, regionWeights, tokenCoverage, type RegionalOptions } from './regional-guidance.js';

const tokenGrid: RegionalOptions = { maskGrid: 'token', dilate: 0 };

describe('regional guidance', () => {
  it('covers the token cells a box spans, partially at its edges', () => {
    // 4x4 tokens; the box covers columns 0..1.5 and rows 0..1 (in token units)
    const c = tokenCoverage([0, 0, 0.375, 0.25], 4, 4);
    expect(Array.from(c.slice(0, 4))).toEqual([1, 0.5, 0, 0]);
    expect(Array.from(c.slice(4))).toEqual(new Array(12).fill(0));
  });

  it('covers latent pixels (2x2 per token) in the order of a packed token\'s channels', () => {
    // 1x2 tokens = 2x4 latent pixels; the box covers latent columns 0..1 and row 0
    const c = tokenCoverage([0, 0, 0.5, 0.5], 1, 2, 4);
    expect(Array.from(c)).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('gives each token to its box and the rest to the background prompt', () => {
    const [bg, a, b] = regionWeights({ objects: [{ box: [0, 0, 0.5, 0.5], prompt: 'a' }, { box: [0.5, 0.5, 1, 1], prompt: 'b' }] }, 2, 2, 1, tokenGrid);
    expect(Array.from(bg)).toEqual([0, 1, 1, 0]);
    expect(Array.from(a)).toEqual([1, 0, 0, 0]);
    expect(Array.from(b)).toEqual([0, 0, 0, 1]);
  });

  it('boosts objects only while sigma is high', () => {
    const layout = { objects: [{ box: [0, 0, 0.5, 1] as [number, number, number, number], prompt: 'a' }] };
    expect(regionWeights(layout, 1, 2, 1, { ...tokenGrid, objectBoost: 3, boostAboveSigma: 0.75 })[1][0]).toBe(3);
    expect(regionWeights(layout, 1, 2, 0.5, { ...tokenGrid, objectBoost: 3, boostAboveSigma: 0.75 })[1][0]).toBe(1);
  });

  it('blends row velocities per token by weight, and leaves single-row images alone', () => {
    // image 0 has two rows (bg, object), image 1 one row; 2 tokens, 1 channel
    const v = Float32Array.from([1, 1, 5, 5, 7, 9]);
    const weights = [Float32Array.from([1, 0.5]), Float32Array.from([0, 0.5]), null];
    const out = blendVelocities(v, [0, 0, 1], weights, 2, 2, 1);
    expect(Array.from(out)).toEqual([1, 3, 7, 9]);
    const same = Float32Array.from([1, 2]);
    expect(blendVelocities(same, [0], [null], 1, 2, 1)).toBe(same);
  });

  it('blends per latent pixel: channel c*4+q of a token follows cell q', () => {
    // one token, 8 channels (2 latent channels x 4 cells); object owns cells 0 and 3
    const v = Float32Array.from([...new Array(8).fill(0), ...new Array(8).fill(1)]);
    const bg = Float32Array.from([0, 1, 1, 0]);
    const obj = Float32Array.from([1, 0, 0, 1]);
    const out = blendVelocities(v, [0, 0], [bg, obj], 1, 1, 8, 4);
    expect(Array.from(out)).toEqual([1, 0, 0, 1, 1, 0, 0, 1]);
  });

  it('copies each image latent to every row it owns', () => {
    const x = Float32Array.from([1, 2, 3, 4]);
    expect(Array.from(expandRows(x, [0, 0, 1], 2))).toEqual([1, 2, 1, 2, 3, 4]);
    expect(expandRows(x, [0, 1], 2)).toBe(x);
  });

  it('rejects boxes that are empty or outside the image', () => {
    expect(() => checkLayout({ objects: [{ box: [0.5, 0, 0.4, 1], prompt: 'a' }] })).toThrow(/layout.objects.0.box/);
    expect(() => checkLayout({ objects: [{ box: [0, 0, 1.2, 1], prompt: 'a' }] })).toThrow(/layout.objects.0.box/);
    expect(() => checkLayout({ objects: [] })).toThrow(/1 to 8 objects/);
  });
});
