// The optional output check of a model (model.json `moderation`): an ONNX image classifier run
// on every decoded image, before any file is written. Scores are probabilities per label; one
// at or over its threshold flags the image.
import type { ModelManifest } from './manifest.js';
import type { OnnxClock, SubModel } from './session.js';
import type { SubModelSpec, TensorSpec } from './tensor-specs.js';

/** What the output check said about one image. */
export interface OutputModeration {
  flagged: boolean;
  /** labels whose score reached the threshold */
  labels: string[];
  /** every label's score (probability, 0..1), rounded to 4 decimals */
  scores: Record<string, number>;
}

export function classifierSpec(m: ModelManifest): SubModelSpec {
  const labels = m.moderation?.labels.length ?? 1;
  const t = (name: string, shape: string, rank: number, fixed: Record<number, number>): TensorSpec => ({ name, shape, rank, fixed, kind: 'float', required: true });
  return { inputs: [t('images', '[B,3,H,W]', 4, { 1: 3 })], outputs: [t('scores', `[B,${labels}]`, 2, { 1: labels })] };
}

/** Runs the classifier on RGB8 images of one size; one verdict per image. */
export async function moderateImages(
  classifier: SubModel,
  config: NonNullable<ModelManifest['moderation']>,
  images: readonly Uint8Array[],
  width: number,
  height: number,
  clock: OnnxClock,
): Promise<OutputModeration[]> {
  // shrink by a whole factor f (box filter over f×f pixels) to the sizes the classifier knows
  const f = config.maxSide ? Math.max(1, Math.ceil(Math.max(width, height) / config.maxSide)) : 1;
  const w = Math.floor(width / f);
  const h = Math.floor(height / f);
  const plane = w * h;
  const data = new Float32Array(images.length * 3 * plane);
  const scale = 1 / (255 * f * f);
  images.forEach((rgb, b) => {
    const base = b * 3 * plane;
    if (f === 1) {
      // an image within maxSide (the shipped model's 64x64 and 96x96 renders): one pass in pixel
      // order instead of one-pixel boxes, the same values at half the cost
      for (let i = 0, p = 0; i < plane; i++, p += 3) {
        data[base + i] = rgb[p] * scale;
        data[base + plane + i] = rgb[p + 1] * scale;
        data[base + 2 * plane + i] = rgb[p + 2] * scale;
      }
      return;
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let r = 0, g = 0, bl = 0;
        for (let dy = 0; dy < f; dy++) {
          for (let dx = 0; dx < f; dx++) {
            const p = ((y * f + dy) * width + x * f + dx) * 3;
            r += rgb[p];
            g += rgb[p + 1];
            bl += rgb[p + 2];
          }
        }
        const i = y * w + x;
        data[base + i] = r * scale;
        data[base + plane + i] = g * scale;
        data[base + 2 * plane + i] = bl * scale;
      }
    }
  });
  const out = await classifier.run({ images: { data, dims: [images.length, 3, h, w] } }, ['scores'], clock);
  const n = config.labels.length;
  return images.map((_, b) => {
    const scores: Record<string, number> = {};
    const labels: string[] = [];
    config.labels.forEach((label, k) => {
      const score = out.scores.data[b * n + k];
      scores[label] = Math.round(score * 1e4) / 1e4;
      if (score >= config.thresholds[label]) labels.push(label);
    });
    return { flagged: labels.length > 0, labels, scores };
  });
}
