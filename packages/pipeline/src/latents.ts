/**
 * Initial noise, 2x2 patch packing and position ids (FLUX.1 layout).
 *
 * Noise PRNG (documented so other implementations can reproduce it): the 32-bit seed is
 * expanded by SplitMix32 into the 128-bit state of xoshiro128** (Blackman & Vigna). Each
 * standard normal comes from Box-Muller on two uniforms u1 = (a+1)/2^32 in (0,1],
 * u2 = b/2^32, using both the cosine and sine outputs in turn. Values are drawn in the
 * order of an NCHW tensor [16, H/8, W/8] for one image; image k of a request uses seed+k.
 */

export function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** uint32 stream of a 32-bit seed: SplitMix32 expands it into a xoshiro128** state. */
export function seededUint32(seed: number): () => number {
  const sm = splitmix32(seed);
  return xoshiro128ss([sm(), sm(), sm(), sm()]);
}

/** xoshiro128** from a 128-bit state; returns uint32 values. */
export function xoshiro128ss(state: [number, number, number, number]): () => number {
  let [a, b, c, d] = state;
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fills `out` with standard normal samples from `seed` (see the file comment). */
export function gaussianNoise(seed: number, out: Float32Array): Float32Array {
  const next = seededUint32(seed);
  const TWO32 = 4294967296;
  for (let i = 0; i < out.length; i += 2) {
    const u1 = (next() + 1) / TWO32;
    const u2 = next() / TWO32;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

export interface LatentGeometry {
  channels: number; // 16
  latentH: number; // H/8
  latentW: number; // W/8
}

export function geometryFor(width: number, height: number, channels: number): LatentGeometry {
  return { channels, latentH: height / 8, latentW: width / 8 };
}

/** Tokens per image: (H/16)*(W/16). */
export function sequenceLength(g: LatentGeometry): number {
  return (g.latentH / 2) * (g.latentW / 2);
}

/**
 * [B, C, h, w] → [B, (h/2)(w/2), C*4]: token i*(w/2)+j, channel c*4+py*2+px.
 */
export function packLatents(src: Float32Array, batch: number, g: LatentGeometry): Float32Array {
  const { channels: C, latentH: h, latentW: w } = g;
  const wp = w / 2, D = C * 4;
  const out = new Float32Array(src.length);
  for (let b = 0; b < batch; b++) {
    const base = b * C * h * w;
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < h; y++) {
        const i = y >> 1, py = y & 1;
        for (let x = 0; x < w; x++) {
          const j = x >> 1, px = x & 1;
          out[base + (i * wp + j) * D + c * 4 + py * 2 + px] = src[base + (c * h + y) * w + x];
        }
      }
    }
  }
  return out;
}

/** Inverse of packLatents. */
export function unpackLatents(src: Float32Array, batch: number, g: LatentGeometry): Float32Array {
  const { channels: C, latentH: h, latentW: w } = g;
  const wp = w / 2, D = C * 4;
  const out = new Float32Array(src.length);
  for (let b = 0; b < batch; b++) {
    const base = b * C * h * w;
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < h; y++) {
        const i = y >> 1, py = y & 1;
        for (let x = 0; x < w; x++) {
          const j = x >> 1, px = x & 1;
          out[base + (c * h + y) * w + x] = src[base + (i * wp + j) * D + c * 4 + py * 2 + px];
        }
      }
    }
  }
  return out;
}

/** img_ids [S,3]: row i*(w/2)+j = (0, i, j). */
export function imageIds(g: LatentGeometry): Float32Array {
  const hp = g.latentH / 2, wp = g.latentW / 2;
  const ids = new Float32Array(hp * wp * 3);
  for (let i = 0; i < hp; i++) {
    for (let j = 0; j < wp; j++) {
      const row = (i * wp + j) * 3;
      ids[row + 1] = i;
      ids[row + 2] = j;
    }
  }
  return ids;
}

/** txt_ids [L,3]: all zero. */
export function textIds(length: number): Float32Array {
  return new Float32Array(length * 3);
}
