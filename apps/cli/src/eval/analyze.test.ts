import { describe, expect, it } from 'vitest';
import { analyzeImage } from './analyze.js';
import type { Domain } from './domain.js';
import { evalCases, shortCases } from './prompts.js';
import { renderScene, type Scene } from './render.js';

// The tiny-shapes palette and layout (copied so these tests do not depend on the model folder).
const domain: Domain = {
  colors: {
    red: [220, 40, 40], green: [40, 170, 70], blue: [40, 90, 220], yellow: [240, 215, 40],
    orange: [245, 135, 30], purple: [140, 60, 180], white: [245, 245, 245], black: [20, 20, 20],
  },
  positions: {
    'top left': [0.25, 0.25], top: [0.5, 0.25], 'top right': [0.75, 0.25], left: [0.25, 0.5], center: [0.5, 0.5],
    right: [0.75, 0.5], 'bottom left': [0.25, 0.75], bottom: [0.5, 0.75], 'bottom right': [0.75, 0.75],
  },
  sizes: { small: 0.11, large: 0.2 },
  shapes: ['circle', 'square', 'triangle'],
};

function read(scene: Scene, width = 64, height = 64, noise = 0) {
  const rgb = renderScene(scene, width, height, domain);
  // deterministic "noise": a fixed pattern of ±noise per channel, like a soft generated image
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.max(0, Math.min(255, rgb[i] + (((i * 7919) % 13) - 6) * (noise / 6)));
  const a = analyzeImage(rgb, width, height, domain);
  return { background: a.background, color: a.color, shape: a.shape, size: a.size, position: a.position };
}

describe('analyzeImage on rendered scenes', () => {
  const scenes: Scene[] = [];
  const colors = Object.keys(domain.colors);
  let k = 0;
  for (const shape of domain.shapes) {
    for (const size of Object.keys(domain.sizes)) {
      for (const position of Object.keys(domain.positions)) {
        const background = colors[k % colors.length];
        const color = colors[(k * 3 + 1) % colors.length] === background ? colors[(k + 2) % colors.length] : colors[(k * 3 + 1) % colors.length];
        scenes.push({ background, color, shape, size, position });
        k++;
      }
    }
  }

  it('reads every shape, size and position exactly', () => {
    for (const scene of scenes) expect(read(scene)).toEqual(scene);
  });

  it('still reads them with mild pixel noise and at a non-square size', () => {
    for (const scene of scenes) expect(read(scene, 64, 64, 12)).toEqual(scene);
    for (const scene of scenes) expect(read(scene, 96, 64)).toEqual(scene);
  });

  it('tells apart the closest palette pair (orange on yellow)', () => {
    const scene: Scene = { background: 'yellow', color: 'orange', shape: 'square', size: 'small', position: 'left' };
    expect(read(scene, 64, 64, 12)).toEqual(scene);
  });

  it('reports no shape on a plain background', () => {
    const rgb = new Uint8Array(64 * 64 * 3);
    for (let i = 0; i < rgb.length; i += 3) rgb.set(domain.colors.green, i);
    const a = analyzeImage(rgb, 64, 64, domain);
    expect(a.background).toBe('green');
    expect([a.color, a.shape, a.position]).toEqual([null, null, null]);
  });
});

describe('evalCases', () => {
  it('is a fixed list of at least 200 one-shape prompts covering the domain', () => {
    const cases = evalCases(domain, 216);
    expect(evalCases(domain, 216)).toEqual(cases);
    expect(cases.length).toBe(216);
    expect(cases.every((c) => c.expected.color !== c.expected.background)).toBe(true);
    expect(new Set(cases.map((c) => c.expected.position)).size).toBe(9);
    expect(new Set(cases.map((c) => c.expected.shape)).size).toBe(3);
    expect(new Set(cases.map((c) => c.template)).size).toBeGreaterThanOrEqual(5);
    for (const c of cases) expect(c.prompt).toContain(`${c.expected.color}`);
  });
});

describe('shortCases', () => {
  it('names every shape in every color, never a position, and only what it scores', () => {
    const cases = shortCases(domain);
    expect(shortCases(domain)).toEqual(cases);
    const forms = new Set(cases.map((c) => c.form));
    expect(cases.length).toBe(forms.size * domain.shapes.length * Object.keys(domain.colors).length * Object.keys(domain.sizes).length);
    for (const c of cases) {
      expect(c.expected.background).not.toBe(c.expected.color);
      for (const word of Object.keys(domain.positions).flatMap((p) => p.split(' '))) expect(c.prompt.split(' ')).not.toContain(word);
      expect(c.prompt.includes('background')).toBe(c.named.includes('background'));
      expect(c.prompt.includes(c.expected.size)).toBe(c.named.includes('size'));
    }
  });
});

