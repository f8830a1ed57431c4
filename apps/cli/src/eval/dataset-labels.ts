// Labels accuracy of datasets: do the COCO boxes a dataset writes (from its layout) match what
// the model drew? Each image is read by the multi-shape reader (layout-shapes.ts, built on the
// one-shape analyzer); an annotation counts when a drawn shape's bounding box has IoU ≥ 0.5 with
// it (and, stricter, the shape's class is the annotation's category, and its color the one the
// object's prompt named). Drawn shapes that no annotation covers are counted too.
import type { Domain } from './domain.js';
import { boxIoU, findShapes, type FractionBox } from './layout-shapes.js';
import { MIN_IOU } from './layout-score.js';

/** One COCO annotation of an image, with its category name and the color its prompt named. */
export interface LabelledBox {
  /** COCO [x, y, width, height] in pixels */
  bbox: [number, number, number, number];
  label: string;
  color: string | null;
}

export interface ImageLabelScore {
  objects: { box: boolean; label: boolean; color: boolean; bestIoU: number }[];
  /** shapes found in the image */
  drawn: number;
  /** found shapes that no annotation overlaps with IoU ≥ 0.5 */
  unannotated: number;
}

const toFraction = ([x, y, w, h]: LabelledBox['bbox'], width: number, height: number): FractionBox => [x / width, y / height, (x + w) / width, (y + h) / height];

export function scoreImageLabels(labels: LabelledBox[], rgb: Uint8Array, width: number, height: number, domain: Domain): ImageLabelScore {
  const { shapes } = findShapes(rgb, width, height, domain);
  const boxes = labels.map((l) => toFraction(l.bbox, width, height));
  const objects = labels.map((l, k) => {
    const near = shapes.filter((s) => boxIoU(s.box, boxes[k]) >= MIN_IOU);
    return {
      box: near.length > 0,
      label: near.some((s) => s.shape === l.label),
      color: near.some((s) => s.shape === l.label && (l.color === null || s.color === l.color)),
      bestIoU: Math.max(0, ...shapes.map((s) => boxIoU(s.box, boxes[k]))),
    };
  });
  const unannotated = shapes.filter((s) => !boxes.some((b) => boxIoU(s.box, b) >= MIN_IOU)).length;
  return { objects, drawn: shapes.length, unannotated };
}

export interface LabelSummary {
  images: number;
  annotations: number;
  box: number;
  label: number;
  color: number;
  drawn: number;
  unannotated: number;
  /** images whose every annotation matched box and class */
  wholeImages: number;
}

export function summarizeLabels(scores: ImageLabelScore[]): LabelSummary {
  const objs = scores.flatMap((s) => s.objects);
  return {
    images: scores.length,
    annotations: objs.length,
    box: objs.filter((o) => o.box).length,
    label: objs.filter((o) => o.label).length,
    color: objs.filter((o) => o.color).length,
    drawn: scores.reduce((n, s) => n + s.drawn, 0),
    unannotated: scores.reduce((n, s) => n + s.unannotated, 0),
    wholeImages: scores.filter((s) => s.objects.every((o) => o.label)).length,
  };
}

/** The domain color an object prompt names (its first color word), or null. */
export function colorOfPrompt(prompt: string, domain: Domain): string | null {
  const words = prompt.toLowerCase().split(/[^a-z]+/);
  return words.find((w) => w in domain.colors) ?? null;
}
