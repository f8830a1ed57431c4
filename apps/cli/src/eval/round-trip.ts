import type { FlowModel } from '@flowfarm/pipeline';
import type { Domain } from './domain.js';
import type { EvalCase } from './prompts.js';
import { renderScene } from './render.js';

/** PSNR in dB of two RGB8 images (peak 255). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255) / (se / a.length));
}

export interface RoundTrip {
  width: number;
  height: number;
  images: number;
  meanPsnr: number;
  minPsnr: number;
}

/**
 * Images in: ideal renders of the eval's scenes → encodeImage → decodeLatents, compared with the
 * render (the VAE encoder's round trip; image-to-image starts from this latent).
 */
export async function roundTrip(model: FlowModel, cases: EvalCase[], width: number, height: number, domain: Domain, batch = 4): Promise<RoundTrip> {
  const scores: number[] = [];
  for (let i = 0; i < cases.length; i += batch) {
    const images = cases.slice(i, i + batch).map((c) => ({ rgb: renderScene(c.expected, width, height, domain), width, height }));
    const encoded = await model.encodeImage(images);
    const decoded = await model.decodeLatents(encoded.latents, width, height);
    decoded.forEach((rgb, k) => scores.push(psnr(rgb, images[k].rgb)));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  return { width, height, images: scores.length, meanPsnr: mean, minPsnr: Math.min(...scores) };
}
