// sharp (libvips) loaded on first use: loading it costs more than rendering a small PNG, and a
// PNG-only render (png.ts writes PNGs) never needs it — `flowfarm generate` and CPU workers
// that only write PNGs start without it.
import type SharpModule from 'sharp';

let loading: Promise<typeof SharpModule> | undefined;

export function loadSharp(): Promise<typeof SharpModule> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}
