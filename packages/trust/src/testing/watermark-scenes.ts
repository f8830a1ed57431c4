// Seeded test images for the block watermark: the flat, near-white and saturated colours the
// shipped model renders (whose blocks have channels stuck at 0 or 255), plus noise, ramps and
// hard-edged patches. Used by the embedding's equivalence test and bench/trust.ts.

/** Seeded generator (LCG), so a failure names the image that failed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
}

export const WATERMARK_SCENE_KINDS = [
  'disc', 'flat', 'flat-white', 'flat-black', 'noise', 'near-white', 'near-black', 'saturated', 'gradient', 'patches',
] as const;
export type WatermarkSceneKind = (typeof WATERMARK_SCENE_KINDS)[number];

// Flat colours like the shipped model's renders, near-white and saturated ones included.
const PALETTE = [
  [255, 255, 255], [254, 254, 254], [255, 250, 252], [245, 245, 245], [0, 0, 0],
  [20, 20, 20], [220, 40, 40], [40, 90, 220], [240, 215, 40],
];
const PRIMARIES = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [255, 0, 255], [0, 255, 255], [255, 255, 255], [0, 0, 0]];

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** An interleaved RGB8 image of the given kind. */
export function watermarkScene(kind: WatermarkSceneKind, width: number, height: number, rnd: () => number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const fill = (colour: (x: number, y: number, c: number) => number) => {
    for (let y = 0, i = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++, i++) rgb[i] = clamp(colour(x, y, c));
  };
  switch (kind) {
    case 'disc': {
      // a disc on a background with ±2 levels of noise (as the detection test uses)
      const bg = pick(PALETTE);
      const fg = pick(PALETTE);
      const cx = rnd() * width, cy = rnd() * height, r = 5 + rnd() * 20;
      fill((x, y, c) => ((x - cx) ** 2 + (y - cy) ** 2 < r * r ? fg : bg)[c] + Math.round((rnd() - 0.5) * 4));
      break;
    }
    case 'flat': {
      const colour = [0, 1, 2].map(() => Math.floor(rnd() * 256));
      fill((_x, _y, c) => colour[c]);
      break;
    }
    case 'flat-white':
      rgb.fill(255);
      break;
    case 'flat-black':
      break;
    case 'noise':
      fill(() => Math.floor(rnd() * 256));
      break;
    case 'near-white':
      fill(() => 249 + Math.floor(rnd() * 7));
      break;
    case 'near-black':
      fill(() => Math.floor(rnd() * 7));
      break;
    case 'saturated': {
      // primaries with a little noise: every block has channels at 0 and at 255
      const bg = pick(PRIMARIES);
      const fg = pick(PRIMARIES);
      const split = rnd() * width;
      const noise = Math.floor(rnd() * 4);
      fill((x, _y, c) => (x < split ? fg : bg)[c] + Math.round((rnd() - 0.5) * 2 * noise));
      break;
    }
    case 'gradient': {
      const dir = [0, 1, 2].map(() => rnd() * 2 - 1);
      const base = [0, 1, 2].map(() => rnd() * 255);
      fill((x, y, c) => Math.round(base[c] + dir[c] * (x + y) * (300 / (width + height))));
      break;
    }
    case 'patches': {
      // hard-edged rectangles not aligned to the 8x8 grid, some noisy
      fill(() => 0);
      for (let k = 0; k < 12; k++) {
        const colour = rnd() < 0.5 ? pick(PRIMARIES) : [0, 1, 2].map(() => Math.floor(rnd() * 256));
        const noise = rnd() < 0.5 ? 0 : 3;
        const x0 = Math.floor(rnd() * width), y0 = Math.floor(rnd() * height);
        const x1 = Math.min(width, x0 + 1 + Math.floor(rnd() * width)), y1 = Math.min(height, y0 + 1 + Math.floor(rnd() * height));
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            for (let c = 0; c < 3; c++) rgb[(y * width + x) * 3 + c] = clamp(colour[c] + Math.round((rnd() - 0.5) * 2 * noise));
          }
        }
      }
      break;
    }
  }
  return rgb;
}
