import { describe, expect, it } from 'vitest';
import { borderColor, boxPixels, collageTilePrompts, composeCollage, findObject, objectAlpha, type PixelRect } from './collage.js';
import type { Box } from './regional-guidance.js';

const W = 64, H = 64;
const sizes = { sizes: [{ word: 'small', halfExtent: 0.11, synonyms: ['tiny'] }, { word: 'large', halfExtent: 0.2, synonyms: ['big'] }] };

/** A width x height RGB8 image of one color. */
function solid(rgb: [number, number, number]): Uint8Array {
  const out = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) out.set(rgb, i * 3);
  return out;
}

/** Paints pixels for which inside(x, y) holds (pixel centres). */
function paint(img: Uint8Array, rgb: [number, number, number], inside: (x: number, y: number) => boolean): Uint8Array {
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (inside(x + 0.5, y + 0.5)) img.set(rgb, (y * W + x) * 3);
  return img;
}

/** Bounding rectangle of the pixels of exactly this color. */
function extent(img: Uint8Array, rgb: [number, number, number]): PixelRect | undefined {
  let r: PixelRect | undefined;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      if (img[o] !== rgb[0] || img[o + 1] !== rgb[1] || img[o + 2] !== rgb[2]) continue;
      r = r ? [Math.min(r[0], x), Math.min(r[1], y), Math.max(r[2], x + 1), Math.max(r[3], y + 1)] : [x, y, x + 1, y + 1];
    }
  }
  return r;
}

const count = (img: Uint8Array, rgb: [number, number, number]) => {
  let n = 0;
  for (let i = 0; i < img.length; i += 3) if (img[i] === rgb[0] && img[i + 1] === rgb[1] && img[i + 2] === rgb[2]) n++;
  return n;
};

describe('collage tile prompts', () => {
  it('asks every object for the model\'s largest size on the scene\'s background, without placement words', () => {
    const prompts = collageTilePrompts('a scene', {
      background: 'a white background',
      objects: [
        { box: [0.1, 0.1, 0.3, 0.3], prompt: 'a small red triangle at the top left' },
        { box: [0.5, 0.5, 0.95, 0.95], prompt: 'a tiny blue square on a black background' },
        { box: [0.6, 0.1, 0.8, 0.3], prompt: 'a green circle' },
      ],
    }, { width: W, height: H, hints: sizes });
    expect(prompts).toEqual([
      'a white background',
      'a large red triangle on a white background',
      'a large blue square on a black background',
      'a large green circle on a white background',
    ]);
  });

  it('keeps the size words of a model that declares none, and takes the job prompt\'s background phrase', () => {
    const prompts = collageTilePrompts('two shapes on a gray background', { objects: [{ box: [0, 0, 0.2, 0.2], prompt: 'a small cat in the upper-right corner' }] }, { width: W, height: H });
    expect(prompts).toEqual(['a gray background', 'a small cat on a gray background']);
  });
});

describe('finding the drawn object in a tile', () => {
  it('reads the background from the border and the object as the central region, not a speck at the edge', () => {
    const tile = paint(solid([250, 250, 250]), [200, 30, 30], (x, y) => Math.hypot(x - 32, y - 33) < 12);
    paint(tile, [20, 20, 200], (x, y) => x > 2 && x < 6 && y > 2 && y < 6); // a speck near the corner
    const bg = borderColor(tile, W, H);
    expect(bg).toEqual([250, 250, 250]);
    expect(findObject(objectAlpha(tile, W, H, bg), W, H)).toEqual([20, 21, 44, 45]);
  });

  it('finds nothing in an empty tile', () => {
    const tile = solid([10, 10, 10]);
    expect(findObject(objectAlpha(tile, W, H, borderColor(tile, W, H)), W, H)).toBeUndefined();
  });
});

describe('composing a collage', () => {
  it('scales each tile\'s object into its box on the background, leaving the rest of the background alone', () => {
    const background = solid([250, 250, 250]);
    // tiles: a large square and a large triangle in the middle, each on a slightly different white
    const square = paint(solid([245, 245, 245]), [200, 30, 30], (x, y) => Math.abs(x - 32) < 13 && Math.abs(y - 32) < 13);
    const triangle = paint(solid([252, 248, 250]), [30, 30, 200], (x, y) => y > 19 && y < 45 && Math.abs(x - 32) < (y - 19) / 2);
    const boxes: Box[] = [[0.05, 0.05, 0.27, 0.27], [0.5, 0.55, 0.9, 0.95]];
    const out = composeCollage(background, [square, triangle], { objects: boxes.map((box) => ({ box, prompt: 'x' })) }, W, H);
    const red = extent(out, [200, 30, 30]);
    const blue = extent(out, [30, 30, 200]);
    // the object fills its box (the rim pixels blend with the background)
    expect(red).toBeDefined();
    for (const [got, box] of [[red!, boxes[0]], [blue!, boxes[1]]] as const) {
      const want = boxPixels(box, W, H);
      got.forEach((v, k) => expect(Math.abs(v - want[k]), `${got} vs ${want}`).toBeLessThanOrEqual(1));
    }
    // a square stays nearly full, a triangle about half of its box
    const area = (r: PixelRect) => (r[2] - r[0]) * (r[3] - r[1]);
    expect(count(out, [200, 30, 30]) / area(red!)).toBeGreaterThan(0.85);
    expect(count(out, [30, 30, 200]) / area(blue!)).toBeGreaterThan(0.35);
    expect(count(out, [30, 30, 200]) / area(blue!)).toBeLessThan(0.65);
    // the tiles' own backgrounds are not pasted: outside the boxes (and their one-pixel rim) the canvas is untouched
    const grown = boxes.map((b) => boxPixels(b, W, H)).map(([x0, y0, x1, y1]) => [x0 - 1, y0 - 1, x1 + 1, y1 + 1]);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (grown.some(([x0, y0, x1, y1]) => x >= x0 && x < x1 && y >= y0 && y < y1)) continue;
        expect([...out.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)]).toEqual([250, 250, 250]);
      }
    }
  });

  it('pastes nothing for a tile with no object', () => {
    const background = solid([0, 0, 0]);
    const out = composeCollage(background, [solid([5, 5, 5])], { objects: [{ box: [0.2, 0.2, 0.6, 0.6], prompt: 'x' }] }, W, H);
    expect(out).toEqual(background);
  });
});
