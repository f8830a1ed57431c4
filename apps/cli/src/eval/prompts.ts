import type { Domain } from './domain.js';
import type { Scene } from './render.js';

/** A fixed evaluation case: the prompt, the scene it asks for, and the seed to render it with. */
export interface EvalCase {
  id: number;
  prompt: string;
  template: string;
  expected: Scene;
  seed: number;
}

/** mulberry32: a small documented 32-bit PRNG, so the case list is the same everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Parts = { size: string; color: string; shape: string; pos: string; bg: string };

// Phrasings within the grammar but written for the eval (not the training caption code):
// other word orders, articles, filler words and a few words the tokenizer does not know.
const TEMPLATES: Record<string, (p: Parts) => string> = {
  canonical: (p) => `a ${p.size} ${p.color} ${p.shape} ${p.pos} on a ${p.bg} background`,
  'background first': (p) => `${p.bg} background with a ${p.size} ${p.color} ${p.shape} ${p.pos}`,
  'position first': (p) => `${p.pos}, the ${p.color} ${p.shape}, ${p.size}, on a ${p.bg} background`,
  'color after size': (p) => `the ${p.color} ${p.size} ${p.shape} with a ${p.bg} background ${p.pos}`,
  'unknown words': (p) => `please draw a lovely ${p.size} ${p.color} ${p.shape} ${p.pos} over a ${p.bg} canvas background`,
  terse: (p) => `${p.size} ${p.color} ${p.shape} ${p.pos} ${p.bg} background`,
};

function positionPhrase(pos: string, rnd: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  if (pos === 'center') return pick(['in the center', 'in the middle', 'at the center', 'centre']);
  if (pos.includes(' ')) return pick([`at the ${pos}`, `in the ${pos}`, `in the ${pos} corner`, pos]);
  return pick([`at the ${pos}`, `on the ${pos}`, pos]);
}

/** `count` cases drawn from the domain with a fixed seed; shape color never equals the background. */
export function evalCases(domain: Domain, count: number, seed = 20261127): EvalCase[] {
  const rnd = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const colors = Object.keys(domain.colors);
  const templates = Object.keys(TEMPLATES);
  const cases: EvalCase[] = [];
  for (let id = 0; id < count; id++) {
    const background = pick(colors);
    const expected: Scene = {
      background,
      color: pick(colors.filter((c) => c !== background)),
      shape: pick(domain.shapes),
      size: pick(Object.keys(domain.sizes)),
      position: pick(Object.keys(domain.positions)),
    };
    const template = templates[id % templates.length];
    const prompt = TEMPLATES[template]({
      size: expected.size, color: expected.color, shape: expected.shape, bg: background,
      pos: positionPhrase(expected.position, rnd),
    });
    cases.push({ id, prompt, template, expected, seed: 1000 + id });
  }
  return cases;
}

/** A prompt that leaves attributes out: only `named` ones are scored (the model picks the rest). */
export interface ShortCase {
  id: number;
  prompt: string;
  form: string;
  named: Array<'background' | 'color' | 'shape' | 'size'>;
  expected: { background: string; color: string; shape: string; size: string };
  seed: number;
}

const SHORT_FORMS: Array<{ form: string; named: ShortCase['named']; make: (p: Omit<Parts, 'pos'>) => string }> = [
  { form: 'color + shape', named: ['color', 'shape'], make: (p) => `a ${p.color} ${p.shape}` },
  { form: 'color + shape, no article', named: ['color', 'shape'], make: (p) => `${p.color} ${p.shape}` },
  { form: 'color + shape + background', named: ['color', 'shape', 'background'], make: (p) => `a ${p.color} ${p.shape} on a ${p.bg} background` },
  { form: 'size + color + shape + background', named: ['size', 'color', 'shape', 'background'], make: (p) => `a ${p.size} ${p.color} ${p.shape} on a ${p.bg} background` },
];

/** Every shape in every color at each size, in each short form (no position anywhere); image seeds 3000+i. */
export function shortCases(domain: Domain): ShortCase[] {
  const colors = Object.keys(domain.colors);
  const sizes = Object.keys(domain.sizes);
  const cases: ShortCase[] = [];
  for (const { form, named, make } of SHORT_FORMS) {
    domain.shapes.forEach((shape, si) => {
      colors.forEach((color, ci) => {
        sizes.forEach((size, zi) => {
          const expected = { shape, color, size, background: colors[(ci + si + zi + 1) % colors.length] };
          const id = cases.length;
          cases.push({ id, form, named, expected, seed: 3000 + id, prompt: make({ ...expected, bg: expected.background }) });
        });
      });
    });
  }
  return cases;
}
