// Encodes rendered RGB8 pixels as PNG, JPEG or WebP with the generation parameters inside the
// file, and reads them back. PNG is written by png.ts (node's native zlib, tEXt chunks: faster
// than sharp for the small images CPU workers render, where libvips' per-call setup dominates);
// JPEG and WebP go through sharp (libvips: mozjpeg, libwebp) with the parameters as XMP, the
// metadata format both containers carry and that image tools show.
import { loadSharp } from './lazy-sharp.js';
import { decodePngRgb, encodePng } from './png.js';

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Default quality (1-100) of the lossy formats; PNG ignores quality. */
export const DEFAULT_OUTPUT_QUALITY = 90;

export const CONTENT_TYPES: Record<OutputFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
export const FILE_EXTENSIONS: Record<OutputFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/** XML namespace of the parameters in XMP (JPEG, WebP). */
export const XMP_NAMESPACE = 'https://flowfarm.dev/ns/params/1.0/';

export interface OutputImageOptions {
  format: OutputFormat;
  /** 1-100, lossy formats only (default DEFAULT_OUTPUT_QUALITY) */
  quality?: number;
  /**
   * Parameters to embed (prompt, seed, …). A plain key/value map so other features (provenance)
   * can add keys; keys must be XML names (letters, digits, _ . -; not starting with a digit).
   */
  parameters: Record<string, string>;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Characters XML 1.0 cannot hold at all (C0 controls but tab/newline/return, U+FFFE, U+FFFF). */
const notXmlChar = (code: number) => (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0xfffe || code === 0xffff;

const escapeXml = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
    // characters XML cannot hold become \u{…} escapes (as PNG's Latin-1 text does)
    .replace(/[^]/gu, (c) => (notXmlChar(c.codePointAt(0)!) ? `\\u{${c.codePointAt(0)!.toString(16)}}` : c));

const unescapeXml = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'"
      : String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : Number(e.slice(1))));

/** An XMP packet holding each parameter as `flowfarm:<key>` (keys in sorted order, so bytes repeat). */
export function parametersToXmp(parameters: Record<string, string>): string {
  const lines = Object.keys(parameters)
    .sort()
    .map((key) => {
      if (!KEY.test(key)) throw new Error(`metadata key "${key}" is not an XML name`);
      return `   <flowfarm:${key}>${escapeXml(parameters[key])}</flowfarm:${key}>`;
    });
  return [
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    `  <rdf:Description rdf:about="" xmlns:flowfarm="${XMP_NAMESPACE}">`,
    ...lines,
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '<?xpacket end="r"?>',
  ].join('\n');
}

/** The `flowfarm:` properties of an XMP packet written by parametersToXmp. */
export function parametersFromXmp(xmp: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of xmp.matchAll(/<flowfarm:([A-Za-z_][A-Za-z0-9_.-]*)>([\s\S]*?)<\/flowfarm:\1>/g)) out[m[1]] = unescapeXml(m[2]);
  return out;
}

/**
 * Encodes interleaved RGB8 pixels. Deterministic: the same pixels, options and parameters give
 * the same bytes (sharp is told to write no timestamps; libvips' encoders have no randomness).
 */
export async function encodeOutputImage(rgb: Uint8Array, width: number, height: number, options: OutputImageOptions): Promise<{ data: Uint8Array; contentType: string }> {
  const { format, parameters } = options;
  if (format === 'png') return { data: encodePng(rgb, width, height, parameters), contentType: CONTENT_TYPES.png };
  const quality = options.quality ?? DEFAULT_OUTPUT_QUALITY;
  const sharp = await loadSharp();
  const image = sharp(rgb, { raw: { width, height, channels: 3 } }).withXmp(parametersToXmp(parameters));
  const encoded = format === 'jpeg'
    // mozjpeg's optimised tables and progressive scans: smallest files at a given quality
    ? image.jpeg({ quality, mozjpeg: true })
    // effort 4 (the default) and no smart subsampling keep encoding fast on CPU workers
    : image.webp({ quality, effort: 4 });
  const data = await encoded.toBuffer();
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), contentType: CONTENT_TYPES[format] };
}

export interface DecodedOutputImage {
  format: OutputFormat;
  width: number;
  height: number;
  /** interleaved RGB8 */
  rgb: Uint8Array;
  /** the embedded parameters (PNG text chunks or XMP) */
  parameters: Record<string, string>;
}

/** Decodes a PNG, JPEG or WebP to RGB8 with its embedded parameters (for tests, eval and image-to-image). */
export async function decodeOutputImage(bytes: Uint8Array): Promise<DecodedOutputImage> {
  const sharp = await loadSharp();
  const meta = await sharp(bytes).metadata();
  if (meta.format === 'png') {
    const png = decodePngRgb(bytes);
    return { format: 'png', width: png.width, height: png.height, rgb: png.rgb, parameters: png.text };
  }
  if (meta.format !== 'jpeg' && meta.format !== 'webp') throw new Error(`unsupported image format ${meta.format ?? 'unknown'}`);
  const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return {
    format: meta.format,
    width: info.width,
    height: info.height,
    rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    parameters: meta.xmp ? parametersFromXmp(meta.xmp.toString('utf8')) : {},
  };
}
