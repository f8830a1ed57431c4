import type { Domain } from './domain.js';
import type { FractionBox } from './layout-shapes.js';

/** One object the layout asks for, and the box it must fill. */
export interface LayoutObjectCase {
  box: FractionBox;
  color: string;
  shape: string;
  size: string;
  prompt: string;
}

export interface LayoutCase {
  id: number;
  background: string;
  backgroundPrompt: string;
  objects: LayoutObjectCase[];
  seed: number;
}

/**
 * How object prompts are worded. `plain` names only size, color and shape (what a user of a
 * large model writes); `with background` adds the scene's background so every region agrees on
 * it; `with position` also adds the grid position nearest to the box (the words this model was
 * trained on), so each region's own prediction already puts the shape near its box.
 */
export type PromptStyle = 'plain' | 'with background' | 'with position';
export const PROMPT_STYLES: PromptStyle[] = ['plain', 'with background', 'with position'];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GAP = 0.04;
const overlaps = (a: FractionBox, b: FractionBox) =>
  a[0] < b[2] + GAP && b[0] < a[2] + GAP && a[1] < b[3] + GAP && b[1] < a[3] + GAP;

function nearestPosition(domain: Domain, box: FractionBox): string {
  const cx = (box[0] + box[2]) / 2, cy = (box[1] + box[3]) / 2;
  let best = 'center', bestD = Infinity;
  for (const [name, [x, y]] of Object.entries(domain.positions)) {
    const d = (x - cx) ** 2 + (y - cy) ** 2;
    if (d < bestD) [best, bestD] = [name, d];
  }
  return best;
}

function positionWords(pos: string): string {
  return pos === 'center' ? 'in the center' : `at the ${pos}`;
}

/**
 * `count` layouts of `objects` shapes each, from a fixed seed: square boxes sized like the
 * domain's shapes (side = 2 x half-extent), placed at random without touching; object colors
 * differ from each other and from the background. Case i renders with seed `seedBase + i`.
 * With `snap`, box centres lie on multiples of it (the latent grid, where guidance is exact).
 */
export function layoutCases(
  domain: Domain,
  count: number,
  objects: number,
  style: PromptStyle,
  options: { seed?: number; seedBase?: number; snap?: number } = {},
): LayoutCase[] {
  const { seed = 20261201, seedBase = 5000, snap } = options;
  const rnd = mulberry32(seed + objects);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const colors = Object.keys(domain.colors);
  const sizes = Object.keys(domain.sizes);
  const cases: LayoutCase[] = [];
  for (let id = 0; id < count; id++) {
    const background = pick(colors);
    const used = new Set([background]);
    const placed: LayoutObjectCase[] = [];
    for (let tries = 0; placed.length < objects; tries++) {
      if (tries > 500) throw new Error(`could not place ${objects} boxes`); // never with the domain's sizes
      const size = placed.length === 0 || tries < 200 ? pick(sizes) : sizes.reduce((a, b) => (domain.sizes[a] < domain.sizes[b] ? a : b));
      const side = 2 * domain.sizes[size];
      let x0 = 0.02 + rnd() * (0.96 - side), y0 = 0.02 + rnd() * (0.96 - side);
      if (snap) {
        // box centres on multiples of `snap` (e.g. 1/8: one latent pixel of a 64-pixel image)
        const at = (v: number) => Math.min(Math.max(Math.round((v + side / 2) / snap) * snap, side / 2), 1 - side / 2) - side / 2;
        [x0, y0] = [at(x0), at(y0)];
      }
      const box: FractionBox = [x0, y0, x0 + side, y0 + side];
      if (placed.some((p) => overlaps(p.box, box))) continue;
      const color = pick(colors.filter((c) => !used.has(c)));
      used.add(color);
      const shape = pick(domain.shapes);
      const words = [`a ${size} ${color} ${shape}`];
      if (style === 'with position') words.push(positionWords(nearestPosition(domain, box)));
      if (style !== 'plain') words.push(`on a ${background} background`);
      placed.push({ box, color, shape, size, prompt: words.join(' ') });
    }
    cases.push({ id, background, backgroundPrompt: `a ${background} background`, objects: placed, seed: seedBase + id });
  }
  return cases;
}
