import type { Domain } from './domain.js';

/** One shape on a solid background, as the analyzer expects to read it. */
export interface Scene {
  background: string;
  color: string;
  shape: string;
  size: string;
  position: string;
}

export interface ShapeSpec {
  shape: string;
  color: string;
  size: string;
  position: string;
}

/** Several shapes on a solid background. */
export interface SceneSpec {
  background: string;
  shapes: ShapeSpec[];
}

/**
 * Draws a scene the way tools/tiny-shapes/domain.py renders training images (without
 * jitter): pixel centres at +0.5, circle radius r, square half-side r, upward triangle with
 * its apex at the top of the box. Used to check the analyzer against known answers.
 */
export function renderScene(scene: Scene, width: number, height: number, domain: Domain): Uint8Array {
  const { background, ...shape } = scene;
  return renderShapes({ background, shapes: [shape] }, width, height, domain);
}

export function renderShapes(scene: SceneSpec, width: number, height: number, domain: Domain): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  const bg = domain.colors[scene.background];
  for (let p = 0; p < width * height; p++) rgb.set(bg, p * 3);
  for (const s of scene.shapes) {
    const fg = domain.colors[s.color];
    const [fx, fy] = domain.positions[s.position];
    const cx = fx * width, cy = fy * height;
    const r = domain.sizes[s.size] * Math.min(width, height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const X = x + 0.5, Y = y + 0.5;
        let inside: boolean;
        if (s.shape === 'circle') inside = (X - cx) ** 2 + (Y - cy) ** 2 <= r * r;
        else if (s.shape === 'square') inside = Math.abs(X - cx) <= r && Math.abs(Y - cy) <= r;
        else inside = Y >= cy - r && Y <= cy + r && Math.abs(X - cx) <= (Y - (cy - r)) / 2;
        if (inside) rgb.set(fg, (y * width + x) * 3);
      }
    }
  }
  return rgb;
}
