import { fillTemplate, type DatasetSpec } from './dataset-spec.js';
import type { Layout } from './layout.js';

/** One dataset item, derived from the spec and its index alone (so any process can rebuild it). */
export interface DatasetItem {
  index: number;
  prompt: string;
  seed: number;
  layout?: Layout;
  /** variable values drawn for this item */
  values: Record<string, string>;
}

/** mulberry32 over a 32-bit state mixed from the dataset seed and the item index. */
function itemRandom(seed: number, index: number): () => number {
  let a = (Math.imul(index + 1, 0x9e3779b9) ^ seed) >>> 0;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DEFAULT_BOX_SIZE: [number, number] = [0.22, 0.4];
// Least gap between generated boxes, as a fraction of the image. A drawn object overflows its
// box by a pixel or two and its edge blurs; at 0.04 two neighbours often came out touching and
// read as one shape over two boxes (eval:labels, 3 objects: 79 % of COCO boxes matched a drawn
// shape at 0.04, 88 % at 0.06, 92 % at 0.08; docs/layouts-and-datasets.md).
const GAP = 0.08;

/**
 * Item `index` of a dataset whose spec has its defaults filled (`seed`, `width`, `height`).
 * Deterministic: the same spec and index give the same item everywhere, so items are made
 * when needed and never stored all at once. Image seed: `seed + index` (32-bit wrap).
 */
export function datasetItem(spec: DatasetSpec & { seed: number; width: number; height: number }, index: number): DatasetItem {
  const rnd = itemRandom(spec.seed, index);
  const draw = (names: string[]) =>
    Object.fromEntries(names.map((name) => {
      const list = spec.variables![name];
      return [name, list[Math.floor(rnd() * list.length)]];
    }));
  const variables = Object.keys(spec.variables ?? {}).sort();
  const values = draw(variables);
  const seed = (spec.seed + index) >>> 0;
  if (!spec.layout) return { index, prompt: fillTemplate(spec.prompt!, values), seed, values };

  const gen = spec.layout;
  const [minSide, maxSide] = gen.box_size ?? DEFAULT_BOX_SIZE;
  const n = gen.objects.min + Math.floor(rnd() * (gen.objects.max - gen.objects.min + 1));
  const short = Math.min(spec.width, spec.height);
  // Box centres snap to the latent grid (8 pixels), where regional guidance places objects exactly.
  const snapX = 8 / spec.width, snapY = 8 / spec.height;
  const objects: Layout['objects'] = [];
  for (let tries = 0; objects.length < n && tries < 200; tries++) {
    const side = minSide + rnd() * (maxSide - minSide);
    const w = (side * short) / spec.width, h = (side * short) / spec.height;
    const cx = snapInside(w / 2 + rnd() * (1 - w), w, snapX);
    const cy = snapInside(h / 2 + rnd() * (1 - h), h, snapY);
    const box: [number, number, number, number] = [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2].map((v) => Math.round(v * 1e6) / 1e6) as [number, number, number, number];
    const label = gen.labels[Math.floor(rnd() * gen.labels.length)];
    const mine = { ...values, ...draw(gen.object_variables ?? []), label: label.label };
    if (objects.some((o) => box[0] < o.box[2] + GAP && o.box[0] < box[2] + GAP && box[1] < o.box[3] + GAP && o.box[1] < box[3] + GAP)) continue;
    objects.push({ box, prompt: fillTemplate(label.prompt, mine), label: label.label });
  }
  const background = fillTemplate(gen.background, values);
  const prompt = `${objects.map((o) => o.prompt).join('; ')}; ${background}`.slice(0, 2000);
  return { index, prompt, seed, values, layout: { background, objects } };
}

/** A box centre on the grid, stepped inward by whole grid steps until the box fits. */
function snapInside(centre: number, size: number, step: number): number {
  let c = Math.round(centre / step) * step;
  while (c - size / 2 < -1e-9) c += step;
  while (c + size / 2 > 1 + 1e-9) c -= step;
  return c - size / 2 < -1e-9 ? size / 2 : c; // wider than the grid allows: centre it in place
}
