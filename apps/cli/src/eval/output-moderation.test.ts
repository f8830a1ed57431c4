// The shipped model's output check (models/tiny-shapes moderation.onnx, stand-in policy "no red
// triangles") judged against the eval analyzer on the model's own renders: the analyzer says
// whether an image shows a red triangle; the classifier must agree. Prints the confusion counts.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePngRgb, loadModel, type FlowModel } from '@flowfarm/pipeline';
import { DEFAULT_MODELS_DIR } from '../commands/generate.js';
import { analyzeShapes } from './analyze.js';
import { loadDomain } from './domain.js';

const dir = path.join(DEFAULT_MODELS_DIR, 'tiny-shapes');
const COLORS = ['red', 'orange', 'purple', 'blue', 'green'];
const SHAPES = ['triangle', 'circle', 'square'];
const BACKGROUNDS = ['white', 'blue', 'yellow', 'black'];
const PLACES = ['in the center', 'at the top left', 'at the bottom right'];

describe('output moderation on tiny-shapes', () => {
  let model: FlowModel;
  beforeAll(async () => {
    model = await loadModel(dir);
  });
  afterAll(() => model?.release());

  it('flags the renders the analyzer reads as red triangles, and only those', async () => {
    const domain = loadDomain(dir);
    const counts = { truePositive: 0, falseNegative: 0, trueNegative: 0, falsePositive: 0 };
    let seed = 0;
    for (const color of COLORS) {
      for (const shape of SHAPES) {
        for (const [k, background] of BACKGROUNDS.entries()) {
          if (background === color) continue;
          const prompt = `a large ${color} ${shape} ${PLACES[k % PLACES.length]} on a ${background} background`;
          const { images } = await model.generate({ prompt, seed: seed++, numImages: 2 });
          for (const image of images) {
            expect(image.moderation, 'the manifest declares an output check').toBeDefined();
            const png = decodePngRgb(image.data);
            const reading = analyzeShapes(png.rgb, png.width, png.height, domain);
            const redTriangle = reading.shapes.some((s) => s.shape === 'triangle' && s.color === 'red');
            const flagged = image.moderation!.flagged;
            if (redTriangle) counts[flagged ? 'truePositive' : 'falseNegative']++;
            else counts[flagged ? 'falsePositive' : 'trueNegative']++;
          }
        }
      }
    }
    const positives = counts.truePositive + counts.falseNegative;
    const negatives = counts.trueNegative + counts.falsePositive;
    console.log(`output moderation vs the analyzer: ${JSON.stringify(counts)} — recall ${(counts.truePositive / positives).toFixed(3)}, false-positive rate ${(counts.falsePositive / negatives).toFixed(3)}`);
    expect(positives).toBeGreaterThan(5);
    expect(counts.truePositive / positives).toBeGreaterThanOrEqual(0.9);
    expect(counts.falsePositive / negatives).toBeLessThanOrEqual(0.05);
  });

  it('judges large renders at the sizes it knows (shrunk to 96 px): red triangles flagged, other shapes not', async () => {
    const domain = loadDomain(dir);
    const verdicts: string[] = [];
    for (const [prompt, size] of [
      ['a large red triangle in the center on a blue background', 256],
      ['a large red triangle at the top left on a white background', 128],
      ['a slow big circle', 256],
      ['a large red circle in the center on a blue background', 256],
      ['a large orange square in the center on a white background', 128],
      ['a large purple triangle in the center on a yellow background', 256],
    ] as const) {
      const { images } = await model.generate({ prompt, seed: 3, width: size, height: size });
      const png = decodePngRgb(images[0].data);
      const redTriangle = analyzeShapes(png.rgb, png.width, png.height, domain).shapes.some((s) => s.shape === 'triangle' && s.color === 'red');
      // a render the prompt asked to be a red triangle but the analyzer reads otherwise may go either way
      const ambiguous = !redTriangle && prompt.includes('red triangle');
      if (!ambiguous && redTriangle !== images[0].moderation!.flagged) verdicts.push(`${prompt} at ${size}: analyzer ${redTriangle}, classifier ${JSON.stringify(images[0].moderation)}`);
    }
    expect(verdicts).toEqual([]);
  });
});
