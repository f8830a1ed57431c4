import type { ResolvedRequest } from './types.js';

/**
 * What an output file records about how it was made (PNG text chunks, XMP for JPEG/WebP):
 * enough to render it again. Every generation parameter belongs here; keys are stable names
 * readers may rely on (prompt, seed, steps, size, model, pipeline, guidance, format, quality).
 */
export function imageParameters(r: ResolvedRequest, made: { seed: number; model: string; pipeline: string }): Record<string, string> {
  const p: Record<string, string> = {
    prompt: r.prompt, seed: String(made.seed), steps: String(r.steps), size: `${r.width}x${r.height}`,
    model: made.model, pipeline: made.pipeline,
  };
  if (r.guidance !== undefined) p.guidance = String(r.guidance);
  if (r.aspectRatio !== undefined) p.aspect_ratio = r.aspectRatio;
  if (r.ultra) p.ultra = 'true';
  // rendered at a trained size and resampled to `size` (trained-sizes.ts)
  if (r.renderSize) p.render_size = `${r.renderSize.width}x${r.renderSize.height}`;
  if (r.palette) p.palette = r.palette.join(',');
  if (r.style !== undefined) p.style = r.style;
  if (r.raw) p.raw = 'true';
  if (r.ultraRefine && r.ultra) {
    // ultra in refine mode: a base-size render, stretched and refined at this size (render-passes.ts)
    p.ultra_mode = 'refine';
    if (r.strength !== undefined) p.ultra_strength = String(r.strength);
  } else if (r.ultraRefine) {
    // a size above the base pixels on a model whose manifest says highResolution refine: the same two passes
    p.high_resolution = 'refine';
    if (r.strength !== undefined) p.refine_strength = String(r.strength);
  } else if (r.collageRefine) {
    // a collage layout render: tiles composited, then refined at this strength (collage.ts)
    p.layout_mode = 'collage';
    if (r.strength !== undefined) p.collage_strength = String(r.strength);
  } else if (r.strength !== undefined) p.strength = String(r.strength);
  if (r.inputImageSha256 !== undefined) p.input_image_sha256 = r.inputImageSha256;
  if (r.stage) {
    // prompt chaining: this file is stage `stage` (from 0) of `stages`; input_image_sha256 is the previous stage's file
    p.stage = String(r.stage.index);
    p.stages = String(r.stage.count);
  }
  if (r.paletteEdges) p.palette_edges = r.paletteEdges;
  if (r.layout) p.layout = JSON.stringify(r.layout);
  // png files written before output formats existed carry no format key: keep their bytes as they were
  if (r.outputFormat !== 'png') {
    p.format = r.outputFormat;
    if (r.outputQuality !== undefined) p.quality = String(r.outputQuality);
  }
  return p;
}
