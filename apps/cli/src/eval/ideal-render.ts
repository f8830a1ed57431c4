import type { Domain } from './domain.js';
import type { LayoutCase } from './layout-cases.js';

/** Each object drawn exactly filling its box (as the training renderer draws shapes). */
export function renderIdealLayout(c: LayoutCase, size: number, domain: Domain, skip = new Set<number>()): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) rgb.set(domain.colors[c.background], i * 3);
  c.objects.forEach((o, k) => {
    if (skip.has(k)) return;
    const [x0, y0, x1, y1] = o.box.map((v) => v * size);
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, r = (x1 - x0) / 2;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const X = x + 0.5, Y = y + 0.5;
        const inside =
          o.shape === 'circle' ? (X - cx) ** 2 + (Y - cy) ** 2 <= r * r
            : o.shape === 'square' ? Math.abs(X - cx) <= r && Math.abs(Y - cy) <= r
              : Y >= cy - r && Y <= cy + r && Math.abs(X - cx) <= (Y - (cy - r)) / 2;
        if (inside) rgb.set(domain.colors[o.color], (y * size + x) * 3);
      }
    }
  });
  return rgb;
}
