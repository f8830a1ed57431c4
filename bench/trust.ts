// Trust and safety figures on real renders of the shipped model: watermark cost (and against the
// first implementation of the embedding, same images and run, outputs compared byte for byte),
// invisibility (PSNR) and bit accuracy after JPEG q75, a 0.5x resize and a 10 % crop on 256x256 images;
// provenance sign/verify time and tamper detection; prompt-moderation rates and speed.
// Ratios are against the render time of the same image size measured in this run.
// Shared 2-core machines: timings are the mean of the fastest half of the runs ("quiet").
//   npx tsx --conditions=development bench/trust.ts [--images 8] [--runs 40]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encode } from 'fast-png';
import sharp, { type Sharp } from 'sharp';
import { loadModel } from '@flowfarm/pipeline';
import {
  DEFAULT_GLOBAL_POLICY,
  KeyRing,
  PromptModerator,
  decodeImageRgb,
  detectWatermark,
  embedPngProvenance,
  embedWatermark,
  generateSigningKey,
  insertBeforeIend,
  itxtChunk,
  readPngProvenance,
  tileBits,
  verifyImageProvenance,
} from '@flowfarm/trust';
import { moderationCorpus } from '../packages/trust/src/moderation/moderation-corpus.js';
import { embedWatermarkReference } from '../packages/trust/src/testing/block-watermark-reference.js';
import { WATERMARK_SCENE_KINDS, seededRandom, watermarkScene } from '../packages/trust/src/testing/watermark-scenes.js';

const { values } = parseArgs({ options: { images: { type: 'string', default: '8' }, runs: { type: 'string', default: '40' } } });
const IMAGES = Number(values.images);
const RUNS = Number(values.runs);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const model = await loadModel(path.join(root, 'models', 'tiny-shapes'));

const quietMean = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b).slice(0, Math.max(1, Math.ceil(xs.length / 2)));
  return s.reduce((a, b) => a + b, 0) / s.length;
};
function time(runs: number, fn: (i: number) => unknown): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn(i);
    ms.push(performance.now() - t);
  }
  return quietMean(ms);
}
/** Like `time`, without the per-run `setup` (copying the pixels an in-place embed writes into). */
function timeEach<T>(runs: number, setup: (i: number) => T, fn: (input: T, i: number) => unknown): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const input = setup(i);
    const t = performance.now();
    fn(input, i);
    ms.push(performance.now() - t);
  }
  return quietMean(ms);
}
const f = (x: number, d = 2) => x.toFixed(d);
const psnr = (a: Uint8Array, b: Uint8Array) => {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (se / a.length));
};

const COLORS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'white', 'black'];
const SHAPES = ['circle', 'square', 'triangle'];
const prompt = (i: number) => `a ${['small', 'large'][i % 2]} ${COLORS[i % 8]} ${SHAPES[i % 3]} at the ${['top left', 'center', 'bottom right'][i % 3]} on a ${COLORS[(i + 3) % 8]} background`;

async function render(i: number, size: number): Promise<{ rgb: Uint8Array; ms: number }> {
  const t = performance.now();
  const out = await model.generate({ prompt: prompt(i), seed: 100 + i, width: size, height: size, steps: 4 });
  const ms = performance.now() - t;
  return { rgb: (await decodeImageRgb(out.images[0].data)).rgb, ms };
}

// --- render baselines
for (let i = 0; i < 3; i++) await render(i, 64);
const render64: number[] = [];
const images64: Uint8Array[] = [];
for (let i = 0; i < 12; i++) {
  const r = await render(i, 64);
  images64.push(r.rgb);
  render64.push(r.ms);
}
const base64 = quietMean(render64);
const images256: Uint8Array[] = [];
const render256: number[] = [];
for (let i = 0; i < IMAGES; i++) {
  const r = await render(i, 256);
  images256.push(r.rgb);
  render256.push(r.ms);
}
const base256 = quietMean(render256);
console.log(`render (baseline): 64x64 ${f(base64, 1)} ms, 256x256 ${f(base256, 1)} ms per image`);

// --- watermark
const small = (await render(1, 64)).rgb;
const embed64 = timeEach(RUNS * 5, () => small.slice(), (rgb, i) => embedWatermark(rgb, 64, 64, i));
const embed256 = timeEach(RUNS, () => images256[0].slice(), (rgb, i) => embedWatermark(rgb, 256, 256, i));
console.log(`watermark embed: 64x64 ${f(embed64, 3)} ms (${f((100 * embed64) / base64)} % of its render), 256x256 ${f(embed256, 3)} ms (${f((100 * embed256) / base256)} %)`);

// Embedding against the first implementation (src/testing/block-watermark-reference.ts): the
// renders at each size, and seeded synthetic scenes (flat, noisy, near-white/black, saturated,
// ramps, patches); both timed in the same loop, alternately, and their outputs compared.
const images128: Uint8Array[] = [];
for (let i = 0; i < 4; i++) images128.push((await render(i, 128)).rgb);
const sceneRnd = seededRandom(1);
for (const [label, size, images] of [
  ['renders', 64, images64], ['renders', 128, images128], ['renders', 256, images256],
  ['scenes', 64, WATERMARK_SCENE_KINDS.map((kind) => watermarkScene(kind, 64, 64, sceneRnd))],
  ['scenes', 256, WATERMARK_SCENE_KINDS.map((kind) => watermarkScene(kind, 256, 256, sceneRnd))],
] as const) {
  const runs = Math.max(images.length, Math.round((RUNS * 5 * 64 * 64) / (size * size)));
  let differing = 0;
  const newMs: number[] = [];
  const refMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const image = images[i % images.length];
    const payload = (0x9e3779b9 * (i + 1)) >>> 0;
    const a = image.slice();
    const b = image.slice();
    let t = performance.now();
    embedWatermark(a, size, size, payload);
    newMs.push(performance.now() - t);
    t = performance.now();
    embedWatermarkReference(b, size, size, payload);
    refMs.push(performance.now() - t);
    if (Buffer.compare(a, b) !== 0) differing++;
  }
  const [n, r] = [quietMean(newMs), quietMean(refMs)];
  console.log(`  embed vs first implementation, ${label} ${size}x${size}: ${f(n, 3)} ms vs ${f(r, 3)} ms per image, ${f(r / n, 1)}x faster; ${differing}/${runs} outputs differ`);
}

const S = 256;
const transforms: Record<string, (png: Sharp) => Sharp> = {
  'none': (img) => img.png(),
  'JPEG q75': (img) => img.jpeg({ quality: 75 }),
  '0.5x resize': (img) => img.resize(S / 2, S / 2).png(),
  '10 % crop (5 % off each side)': (img) => img.extract({ left: 13, top: 13, width: S - 26, height: S - 26 }).png(),
  '10 % crop (one side)': (img) => img.extract({ left: 26, top: 0, width: S - 26, height: S }).png(),
};
const acc: Record<string, number[]> = {};
const found: Record<string, number> = {};
const psnrs: number[] = [];
let detectMs = 0;
let falsePositives = 0;
for (let i = 0; i < images256.length; i++) {
  const payload = (0x9e3779b9 * (i + 7)) >>> 0;
  const marked = embedWatermark(Uint8Array.from(images256[i]), S, S, payload);
  psnrs.push(psnr(images256[i], marked));
  if (detectWatermark(images256[i], S, S).found) falsePositives++;
  const want = tileBits(payload).slice(16, 48);
  const base = sharp(marked, { raw: { width: S, height: S, channels: 3 } });
  for (const [name, transform] of Object.entries(transforms)) {
    const { width, height, rgb } = await decodeImageRgb(new Uint8Array(await transform(base.clone()).toBuffer()));
    const t = performance.now();
    const d = detectWatermark(rgb, width, height);
    detectMs += performance.now() - t;
    const bits = d.bits.slice(16, 48);
    (acc[name] ??= []).push(bits.filter((b, k) => b === want[k]).length / 32);
    found[name] = (found[name] ?? 0) + (d.found && d.payload === payload.toString(16).padStart(8, '0') ? 1 : 0);
  }
}
console.log(`watermark PSNR on ${images256.length} renders at 256x256: min ${f(Math.min(...psnrs))} dB, mean ${f(psnrs.reduce((a, b) => a + b) / psnrs.length)} dB`);
for (const name of Object.keys(transforms)) {
  const a = acc[name];
  console.log(`  ${name.padEnd(30)} bit accuracy ${f((100 * a.reduce((x, y) => x + y, 0)) / a.length, 1)} % (min ${f(100 * Math.min(...a), 1)} %), payload recovered ${found[name]}/${a.length}`);
}
console.log(`  detection on unmarked renders: ${falsePositives}/${images256.length} false positives; mean detect time ${f(detectMs / (images256.length * Object.keys(transforms).length), 1)} ms`);

// --- provenance
const key = generateSigningKey();
const ring = new KeyRing([key.publicJwk]);
const fields = { job_id: 'job_bench', tenant: 'bench', image_index: 0, model: { name: 'tiny-shapes', files: {} }, pipeline_version: 'bench', params: { prompt: prompt(0) }, created_at: new Date(0).toISOString() };
for (const [size, rgb] of [[64, small], [256, images256[0]]] as const) {
  const png = encode({ width: size, height: size, data: rgb, channels: 3, depth: 8 });
  const signMs = time(RUNS, () => embedPngProvenance(png, fields, key));
  const signed = embedPngProvenance(png, fields, key).png;
  const verifyMs = time(RUNS, () => verifyImageProvenance(signed, ring));
  const baseline = size === 64 ? base64 : base256;
  console.log(`provenance ${size}x${size}: sign+embed ${f(signMs)} ms (${f((100 * signMs) / baseline)} % of its render), verify ${f(verifyMs)} ms (target ≤ 5 ms)`);
}
// Tamper detection: every single-pixel change and every record edit must read as tampered.
const png = encode({ width: 64, height: 64, data: small, channels: 3, depth: 8 });
const signed = embedPngProvenance(png, fields, key).png;
const record = readPngProvenance(signed).texts[0];
let caught = 0;
let tries = 0;
for (let k = 0; k < 200; k++) {
  const changed = Uint8Array.from(small);
  changed[(k * 7919) % changed.length] ^= 1 << (k % 8);
  const forged = insertBeforeIend(encode({ width: 64, height: 64, data: changed, channels: 3, depth: 8 }), itxtChunk('flowfarm-provenance', record));
  tries++;
  if (verifyImageProvenance(forged, ring).status === 'tampered') caught++;
}
const parsed = JSON.parse(record);
for (const edit of ['job_id', 'tenant', 'created_at', 'pipeline_version'] as const) {
  const forged = insertBeforeIend(png, itxtChunk('flowfarm-provenance', JSON.stringify({ ...parsed, manifest: { ...parsed.manifest, [edit]: 'x' } })));
  tries++;
  if (verifyImageProvenance(forged, ring).status === 'tampered') caught++;
}
for (let k = 0; k < 50; k++) {
  // flip one byte anywhere outside the record (headers, text chunks, compressed data)
  const bytes = Uint8Array.from(signed);
  const at = 8 + ((k * 104729) % (bytes.length - 8 - new TextEncoder().encode(record).length - 40));
  bytes[at] ^= 0x01;
  tries++;
  if (verifyImageProvenance(bytes, ring).status !== 'valid') caught++;
}
console.log(`provenance tamper detection: ${caught}/${tries} changes (single pixels, manifest fields, file bytes) not valid`);

// --- moderation
const moderator = new PromptModerator(DEFAULT_GLOBAL_POLICY);
const corpus = moderationCorpus();
const blocked = corpus.filter((p) => p.blocked);
const innocent = corpus.filter((p) => !p.blocked);
const caughtPrompts = blocked.filter((p) => moderator.check(p.prompt, 2).blocked).length;
const flagged = innocent.filter((p) => moderator.check(p.prompt, 2).blocked).length;
const checkMs = time(RUNS, (i) => moderator.check(corpus[i % corpus.length].prompt, 2));
console.log(`moderation corpus (${corpus.length} prompts): caught ${caughtPrompts}/${blocked.length} = ${f((100 * caughtPrompts) / blocked.length, 1)} %, false positives ${flagged}/${innocent.length} = ${f((100 * flagged) / innocent.length, 1)} %; ${f(checkMs * 1000, 0)} µs per prompt (${f((100 * checkMs) / base64, 3)} % of a 64x64 render)`);
