/**
 * Regional (layout) guidance, MultiDiffusion-style (Bar-Tal et al., 2023): every image of a
 * layout request is denoised under several prompts at once — the background prompt and one per
 * object box. The transformer runs once per (image, prompt) row, batched, on the same latent;
 * the velocities are blended per packed token, v = Σ_r w_r·v_r / Σ_r w_r, where w_r is the
 * fraction of the token's 16x16-pixel cell covered by box r (a soft edge at the token grid) and
 * the background prompt takes what the boxes leave. Nothing here depends on a model's weights:
 * any model with the FLUX.1 interface runs it without retraining.
 */
import { PipelineInputError } from './errors.js';
import { packLatents, unpackLatents, type LatentGeometry } from './latents.js';
import { backgroundPhrase, objectRowPrompt, type RegionPromptHints } from './region-prompts.js';

/** [x0, y0, x1, y1] as fractions of the image width/height, x0 < x1, y0 < y1. */
export type Box = [number, number, number, number];

export interface LayoutRegion {
  box: Box;
  prompt: string;
}

export interface PipelineLayout {
  /** prompt for everything outside the boxes (default: the request's prompt) */
  background?: string;
  objects: LayoutRegion[];
}

/**
 * How strongly boxes steer. Defaults are the measured best on tiny-shapes (see
 * docs/layouts-and-datasets.md); exposed so the eval can compare variants.
 */
export interface RegionalOptions {
  /** object weight multiplier while sigma ≥ boostAboveSigma (early steps fix composition) */
  objectBoost?: number;
  boostAboveSigma?: number;
  /** weight of the background prompt inside boxes (0: boxes follow only their own prompt) */
  backgroundInBoxes?: number;
  /** boxes grow by this many token widths before coverage (soft edges reach further) */
  dilate?: number;
  /**
   * While sigma ≥ this, an object's row sees its own box and, elsewhere, the background row's
   * last clean estimate re-noised to sigma (MultiDiffusion's "bootstrapping"): each object is
   * formed as if alone in the scene, so objects do not suppress one another. 2 = never.
   */
  isolateAboveSigma?: number;
  /**
   * Each object's row sees the latent rolled so that its box's centre lies at the image centre
   * (whole latent pixels, 8 image pixels), and its velocity is rolled back: a model that draws
   * an unplaced subject in the middle then draws it in the box.
   */
  centerObjects?: boolean;
  /**
   * While sigma ≥ this, every row of a layout follows its own trajectory (as if each prompt
   * were rendered alone) and the image is their per-token composite; below it they share the
   * composite latent (MultiDiffusion), which blends the seams. 2 = never.
   */
  independentAboveSigma?: number;
  /** blend per packed token ('token', 16x16 pixels) or per latent pixel ('latent', 8x8; default) */
  maskGrid?: 'token' | 'latent';
  /**
   * With centerObjects, each object's row gets the prompt of an object alone in the middle that
   * fills its box (region-prompts.ts: placement words dropped, size word from the box, the
   * scene's background); false: the prompts as written.
   */
  derivePrompts?: boolean;
}

export const MAX_LAYOUT_OBJECTS = 8;
export const DEFAULT_REGIONAL: Required<RegionalOptions> = {
  objectBoost: 1,
  boostAboveSigma: 1,
  backgroundInBoxes: 0,
  dilate: 0.5,
  isolateAboveSigma: 2,
  centerObjects: true,
  independentAboveSigma: 0.25,
  maskGrid: 'latent',
  derivePrompts: true,
};

/** Throws PipelineInputError when the layout cannot be rendered. */
export function checkLayout(layout: PipelineLayout): void {
  if (!Array.isArray(layout.objects) || layout.objects.length < 1 || layout.objects.length > MAX_LAYOUT_OBJECTS) {
    throw new PipelineInputError(`layout.objects must hold 1 to ${MAX_LAYOUT_OBJECTS} objects`);
  }
  layout.objects.forEach((o, k) => {
    const b = o.box;
    const ok = Array.isArray(b) && b.length === 4 && b.every((v) => Number.isFinite(v) && v >= 0 && v <= 1) && b[0] < b[2] && b[1] < b[3];
    if (!ok) throw new PipelineInputError(`layout.objects.${k}.box must be [x0, y0, x1, y1] within [0, 1] with x0 < x1 and y0 < y1`);
    if (typeof o.prompt !== 'string' || o.prompt.trim() === '') throw new PipelineInputError(`layout.objects.${k}.prompt must not be empty`);
  });
}

/** Prompts of one layout image, background first. */
export function layoutPrompts(
  prompt: string,
  layout: PipelineLayout,
  ctx: { width: number; height: number; regional?: RegionalOptions; hints?: RegionPromptHints } = { width: 1, height: 1 },
): string[] {
  const o = { ...DEFAULT_REGIONAL, ...ctx.regional };
  const objects = layout.objects.map((obj) => {
    if (!o.centerObjects || !o.derivePrompts) return obj.prompt;
    // a job prompt standing in for the background describes the whole scene: only its background phrase
    const background = layout.background ?? backgroundPhrase(prompt);
    return objectRowPrompt(obj.prompt, { box: obj.box, width: ctx.width, height: ctx.height, background, hints: ctx.hints });
  });
  return [layout.background ?? prompt, ...objects];
}

/**
 * Fraction of each mask cell that the box covers, for a grid of hp x wp packed tokens. With
 * `cells` 1 a cell is a token (16x16 pixels); with 4 it is one of the token's 2x2 latent pixels
 * (8x8 pixels), stored at token*4 + py*2 + px — the order of a packed token's channels
 * (c*4 + py*2 + px), so a weight applies to channel ch through cell ch % 4.
 */
export function tokenCoverage(box: Box, hp: number, wp: number, cells: 1 | 4 = 1): Float32Array {
  const k = cells === 4 ? 2 : 1;
  const H = hp * k, W = wp * k;
  const out = new Float32Array(hp * wp * cells);
  const [x0, y0, x1, y1] = box;
  for (let y = 0; y < H; y++) {
    const oy = Math.max(0, Math.min(y1, (y + 1) / H) - Math.max(y0, y / H)) * H;
    if (oy <= 0) continue;
    for (let x = 0; x < W; x++) {
      const ox = Math.max(0, Math.min(x1, (x + 1) / W) - Math.max(x0, x / W)) * W;
      const token = Math.floor(y / k) * wp + Math.floor(x / k);
      out[token * cells + (y % k) * k + (x % k)] = ox * oy;
    }
  }
  return out;
}

/** Mask cells per token for the options: 4 (latent pixels) unless `maskGrid` is 'token'. */
export function cellsPerToken(opts: RegionalOptions = {}): 1 | 4 {
  return ({ ...DEFAULT_REGIONAL, ...opts }.maskGrid === 'token' ? 1 : 4);
}

/**
 * Per-cell weights of one image's rows at one step: index 0 is the background prompt, then one
 * per object. Overlapping boxes share a cell in proportion to their coverage.
 */
export function regionWeights(layout: PipelineLayout, hp: number, wp: number, sigma: number, opts: RegionalOptions = {}): Float32Array[] {
  const o = { ...DEFAULT_REGIONAL, ...opts };
  const cells = cellsPerToken(opts);
  const boost = sigma >= o.boostAboveSigma ? o.objectBoost : 1;
  const grow = (b: Box): Box => [b[0] - o.dilate / wp, b[1] - o.dilate / hp, b[2] + o.dilate / wp, b[3] + o.dilate / hp];
  const covers = layout.objects.map((obj) => tokenCoverage(o.dilate ? grow(obj.box) : obj.box, hp, wp, cells));
  const background = new Float32Array(hp * wp * cells);
  for (let t = 0; t < background.length; t++) {
    let inside = 0;
    for (const c of covers) inside = Math.max(inside, c[t]);
    background[t] = 1 - inside + o.backgroundInBoxes * inside;
  }
  const objects = covers.map((c) => c.map((v) => v * boost));
  return [background, ...objects];
}

/** Copies each image's packed latent once per row it owns: [B,S,D] → [rows,S,D]. */
export function expandRows(x: Float32Array, rowImage: readonly number[], perImage: number): Float32Array {
  if (rowImage.length === x.length / perImage && rowImage.every((b, r) => b === r)) return x;
  const out = new Float32Array(rowImage.length * perImage);
  rowImage.forEach((b, r) => out.set(x.subarray(b * perImage, (b + 1) * perImage), r * perImage));
  return out;
}

/**
 * Blends row velocities into one per image. `weights[r]` holds row r's weight per mask cell
 * (`cells` per token, see tokenCoverage), or null for a row that is its image's only
 * condition (weight 1 everywhere).
 */
export function blendVelocities(
  v: Float32Array,
  rowImage: readonly number[],
  weights: readonly (Float32Array | null)[],
  images: number,
  tokens: number,
  channels: number,
  cells: 1 | 4 = 1,
): Float32Array {
  const perImage = tokens * channels;
  if (rowImage.length === images) return v; // one row per image: nothing to blend
  const out = new Float32Array(images * perImage);
  const total = new Float32Array(images * tokens * cells);
  rowImage.forEach((b, r) => {
    const w = weights[r];
    for (let t = 0; t < tokens; t++) {
      const src = r * perImage + t * channels, dst = b * perImage + t * channels;
      for (let q = 0; q < cells; q++) {
        const wt = w ? w[t * cells + q] : 1;
        if (wt === 0) continue;
        total[(b * tokens + t) * cells + q] += wt;
        for (let c = q; c < channels; c += cells) out[dst + c] += wt * v[src + c];
      }
    }
  });
  for (let k = 0; k < total.length; k++) {
    const s = total[k];
    if (s === 0 || s === 1) continue;
    const base = Math.floor(k / cells) * channels;
    for (let c = k % cells; c < channels; c += cells) out[base + c] /= s;
  }
  return out;
}

/** One image of a batch: its layout (several rows) or none (one row, weight 1). */
export interface ImageConditioning {
  layout?: PipelineLayout;
  regional?: RegionalOptions;
}

/**
 * The transformer rows of a batch and how their velocities combine into each image's: row
 * order is image by image, background (or the only prompt) first, then the objects.
 */
export class RegionalRows {
  /** image index of each row */
  readonly rowImage: number[];
  private readonly x0Background: (Float32Array | null)[];
  /** per-row latents of layouts in their independent phase */
  private own: Float32Array | null = null;

  constructor(
    private readonly images: readonly ImageConditioning[],
    private readonly hp: number,
    private readonly wp: number,
    private readonly channels: number,
    /** the batch's initial noise, packed [B,S,D] (re-noising for isolation uses it) */
    private readonly noise: Float32Array,
  ) {
    this.rowImage = images.flatMap((im, b) => (im.layout ? [b, ...im.layout.objects.map(() => b)] : [b]));
    this.x0Background = images.map(() => null);
    // one mask grid per batch (the eval's variants run in batches of one variant)
    this.cells = cellsPerToken(images.find((im) => im.layout)?.regional);
  }

  private readonly cells: 1 | 4;

  get rows(): number {
    return this.rowImage.length;
  }

  private get perImage(): number {
    return this.hp * this.wp * this.channels;
  }

  /** hidden_states for every row at this sigma. */
  input(x: Float32Array, sigma: number): Float32Array {
    const rows = expandRows(x, this.rowImage, this.perImage);
    if (rows === x) return x;
    if (this.images.some((im, b) => this.independent(b, sigma))) {
      if (!this.own) this.own = Float32Array.from(rows);
      this.rowImage.forEach((b, r) => {
        if (this.independent(b, sigma)) rows.set(this.own!.subarray(r * this.perImage, (r + 1) * this.perImage), r * this.perImage);
      });
    }
    const T = this.hp * this.wp, D = this.channels, P = this.perImage;
    let r = 0;
    this.images.forEach((im, b) => {
      if (!im.layout) return void r++;
      const o = { ...DEFAULT_REGIONAL, ...im.regional };
      const x0 = this.x0Background[b];
      r++; // background row sees the composite
      for (const obj of im.layout.objects) {
        if (sigma >= o.isolateAboveSigma && x0) {
          const cells = this.cells;
          const cover = tokenCoverage(obj.box, this.hp, this.wp, cells);
          for (let t = 0; t < T; t++) {
            for (let c = 0; c < D; c++) {
              const keep = cover[t * cells + (c % cells)];
              if (keep >= 1) continue;
              const k = b * P + t * D + c;
              const outside = sigma * this.noise[k] + (1 - sigma) * x0[t * D + c];
              rows[r * P + t * D + c] = keep * x[k] + (1 - keep) * outside;
            }
          }
        }
        if (o.centerObjects) this.roll(rows, r, obj.box, -1);
        r++;
      }
    });
    return rows;
  }

  /** Rolls row r of packed latents by ±(box centre − image centre), in whole latent pixels. */
  private roll(rows: Float32Array, r: number, box: Box, sign: 1 | -1): void {
    const g: LatentGeometry = { channels: this.channels / 4, latentH: this.hp * 2, latentW: this.wp * 2 };
    const dx = sign * Math.round(((box[0] + box[2]) / 2 - 0.5) * g.latentW);
    const dy = sign * Math.round(((box[1] + box[3]) / 2 - 0.5) * g.latentH);
    if (dx === 0 && dy === 0) return;
    const P = this.perImage;
    const img = unpackLatents(rows.subarray(r * P, (r + 1) * P), 1, g);
    const out = new Float32Array(P);
    const { channels: C, latentH: h, latentW: w } = g;
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < h; y++) {
        const sy = (((y - dy) % h) + h) % h;
        for (let x = 0; x < w; x++) out[(c * h + y) * w + x] = img[(c * h + sy) * w + ((((x - dx) % w) + w) % w)];
      }
    }
    rows.set(packLatents(out, 1, g), r * P);
  }

  private independent(b: number, sigma: number): boolean {
    const im = this.images[b];
    return !!im.layout && sigma >= { ...DEFAULT_REGIONAL, ...im.regional }.independentAboveSigma;
  }

  /** The velocity of each image; remembers each layout's background estimate for isolation. */
  blend(v: Float32Array, x: Float32Array, sigma: number, sigmaNext: number): Float32Array {
    const weights: (Float32Array | null)[] = [];
    const P = this.perImage;
    let r = 0;
    this.images.forEach((im, b) => {
      if (!im.layout) {
        weights.push(null);
        r++;
        return;
      }
      weights.push(...regionWeights(im.layout, this.hp, this.wp, sigma, { ...im.regional, maskGrid: this.cells === 4 ? 'latent' : 'token' }));
      if ({ ...DEFAULT_REGIONAL, ...im.regional }.centerObjects) {
        im.layout.objects.forEach((obj, k) => this.roll(v, r + 1 + k, obj.box, 1));
      }
      const x0 = new Float32Array(P);
      for (let k = 0; k < P; k++) x0[k] = x[b * P + k] - sigma * v[r * P + k];
      this.x0Background[b] = x0;
      r += 1 + im.layout.objects.length;
    });
    const T = this.hp * this.wp;
    if (!this.own || !this.images.some((_, b) => this.independent(b, sigma))) return blendVelocities(v, this.rowImage, weights, this.images.length, T, this.channels, this.cells);
    // Independent rows: step each row's own latent, then aim the image at their composite.
    const dt = Math.fround(Math.fround(sigmaNext) - Math.fround(sigma));
    const own = this.own;
    for (let k = 0; k < own.length; k++) own[k] = own[k] + Math.fround(dt * v[k]);
    const composite = blendVelocities(own, this.rowImage, weights, this.images.length, T, this.channels, this.cells);
    const shared = blendVelocities(v, this.rowImage, weights, this.images.length, T, this.channels, this.cells);
    this.images.forEach((_, b) => {
      if (!this.independent(b, sigma)) return;
      for (let k = b * P; k < (b + 1) * P; k++) shared[k] = (composite[k] - x[k]) / dt;
    });
    return shared;
  }
}
