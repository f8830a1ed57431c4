import type { Domain } from './domain.js';

/** One shape on a solid background, as the analyzer expects to read it. */
export interface Scene {
  background: string;
  color: string;
  shape: string;
  size: string;
  position: string;
}

/**
 * Draws a scene the way tools/tiny-shapes/domain.py renders training images (without
 * jitter): pixel centres at +0.5, circle radius r, square half-side r, upward triangle with
 * its apex at the top of the box. Used to check the analyzer against known answers.
 */
export function renderScene(scene: Scene, width: number, height: number, domain: Domain): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  const bg = domain.colors[scene.background];
  const fg = domain.colors[scene.color];
  const [fx, fy] = domain.positions[scene.position];
  const cx = fx * width, cy = fy * height;
  const r = domain.sizes[scene.size] * Math.min(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const X = x + 0.5, Y = y + 0.5;
      let inside: boolean;
      if (scene.shape === 'circle') inside = (X - cx) ** 2 + (Y - cy) ** 2 <= r * r;
      else if (scene.shape === 'square') inside = Math.abs(X - cx) <= r && Math.abs(Y - cy) <= r;
      else inside = Y >= cy - r && Y <= cy + r && Math.abs(X - cx) <= (Y - (cy - r)) / 2;
      rgb.set(inside ? fg : bg, (y * width + x) * 3);
    }
  }
  return rgb;
}
