import type { Domain } from './domain.js';
import type { LayoutCase } from './layout-cases.js';
import { boxIoU, findShapes, type FoundShape } from './layout-shapes.js';

/** The bar: a shape counts as placed when its bounding box overlaps its layout box this much. */
export const MIN_IOU = 0.5;

export interface ObjectScore {
  /** a found shape with IoU ≥ MIN_IOU, the prompted color and the prompted class */
  placed: boolean;
  /** a found shape with IoU ≥ MIN_IOU and the prompted color (class ignored) */
  colorInBox: boolean;
  /** best IoU of any found shape with the box */
  bestIoU: number;
}

export interface CaseScore {
  case: LayoutCase;
  objects: ObjectScore[];
  background: boolean;
  found: FoundShape[];
}

export function scoreLayout(c: LayoutCase, rgb: Uint8Array, width: number, height: number, domain: Domain): CaseScore {
  const { background, shapes } = findShapes(rgb, width, height, domain);
  const objects = c.objects.map((o): ObjectScore => {
    const near = shapes.filter((s) => boxIoU(s.box, o.box) >= MIN_IOU);
    return {
      placed: near.some((s) => s.color === o.color && s.shape === o.shape),
      colorInBox: near.some((s) => s.color === o.color),
      bestIoU: Math.max(0, ...shapes.map((s) => boxIoU(s.box, o.box))),
    };
  });
  return { case: c, objects, background: background === c.background, found: shapes };
}

export interface LayoutSummary {
  objects: number;
  placed: number;
  colorInBox: number;
  /** layouts with every object placed */
  allPlaced: number;
  layouts: number;
  background: number;
}

export function summarizeLayouts(scores: CaseScore[]): LayoutSummary {
  const objs = scores.flatMap((s) => s.objects);
  return {
    objects: objs.length,
    placed: objs.filter((o) => o.placed).length,
    colorInBox: objs.filter((o) => o.colorInBox).length,
    allPlaced: scores.filter((s) => s.objects.every((o) => o.placed)).length,
    layouts: scores.length,
    background: scores.filter((s) => s.background).length,
  };
}
