// --format, --quality, --aspect-ratio, --ultra, --palette, --style and --raw of `flowfarm generate`, shared by local and
// farm generation.
import { BUILTIN_STYLES, applyStyle, builtinStyle } from '@flowfarm/contracts/plain';

export type OutputFormatFlag = 'png' | 'jpeg' | 'webp';
const FORMATS: readonly string[] = ['png', 'jpeg', 'webp'];

/** Parses --format/--quality into pipeline request fields; throws `usage` errors for bad values. */
export function outputFormatFlags(
  format: string | undefined,
  quality: string | undefined,
  usage: new (message: string) => Error,
): { outputFormat?: OutputFormatFlag; outputQuality?: number } {
  const normalized = format === 'jpg' ? 'jpeg' : format;
  if (normalized !== undefined && !FORMATS.includes(normalized)) throw new usage(`--format must be png, jpeg or webp (got "${format}")`);
  if (quality === undefined) return normalized === undefined ? {} : { outputFormat: normalized as OutputFormatFlag };
  if (!/^\d+$/.test(quality) || Number(quality) < 1 || Number(quality) > 100) throw new usage(`--quality must be an integer from 1 to 100 (got "${quality}")`);
  if ((normalized ?? 'png') === 'png') throw new usage('--quality applies to --format jpeg or webp only (png is lossless)');
  return { outputFormat: normalized as OutputFormatFlag, outputQuality: Number(quality) };
}

/** The same flags as job input fields. */
export function jobOutputFormat(flags: { outputFormat?: OutputFormatFlag; outputQuality?: number }): { output_format?: OutputFormatFlag; output_quality?: number } {
  return {
    ...(flags.outputFormat === undefined ? {} : { output_format: flags.outputFormat }),
    ...(flags.outputQuality === undefined ? {} : { output_quality: flags.outputQuality }),
  };
}

/** File extension for a format (jpeg files end in .jpg). */
export function extensionOf(format: string | undefined): string {
  return format === 'jpeg' ? 'jpg' : format === 'webp' ? 'webp' : 'png';
}

const ASPECT_RATIOS: readonly string[] = ['1:1', '16:9', '9:16', '4:3', '3:4', '3:2', '2:3', '21:9', '9:21'];
export type AspectRatioFlag = '1:1' | '16:9' | '9:16' | '4:3' | '3:4' | '3:2' | '2:3' | '21:9' | '9:21';

/** Parses --aspect-ratio/--ultra into pipeline request fields. */
export function aspectRatioFlags(ratio: string | undefined, ultra: boolean | undefined, usage: new (message: string) => Error): { aspectRatio?: AspectRatioFlag; ultra?: boolean } {
  if (ratio !== undefined && !ASPECT_RATIOS.includes(ratio)) throw new usage(`--aspect-ratio must be one of ${ASPECT_RATIOS.join(', ')} (got "${ratio}")`);
  return { ...(ratio === undefined ? {} : { aspectRatio: ratio as AspectRatioFlag }), ...(ultra ? { ultra: true } : {}) };
}

export function jobAspectRatio(flags: { aspectRatio?: AspectRatioFlag; ultra?: boolean }): { aspect_ratio?: AspectRatioFlag; ultra?: boolean } {
  return { ...(flags.aspectRatio === undefined ? {} : { aspect_ratio: flags.aspectRatio }), ...(flags.ultra ? { ultra: true } : {}) };
}

/** --palette "#aa0000,#00aa00" → palette (the same field name in the pipeline and the job input). */
export function paletteFlag(value: string | undefined, usage: new (message: string) => Error): { palette?: string[] } {
  if (value === undefined) return {};
  const colors = value.split(',').map((c) => c.trim().toLowerCase());
  if (colors.length > 8 || colors.some((c) => !/^#[0-9a-f]{6}$/.test(c))) throw new usage(`--palette must be 1-8 comma-separated #rrggbb colors (got "${value}")`);
  return { palette: colors };
}

/** Local generation applies a built-in preset itself (a farm applies its tenant's presets too). */
export function applyLocalStyle<R extends { prompt: string; steps?: number; guidance?: number; palette?: string[]; aspectRatio?: AspectRatioFlag; ultra?: boolean; width?: number; height?: number }>(
  request: R,
  name: string | undefined,
  raw: boolean | undefined,
  usage: new (message: string) => Error,
): R & { style?: string; raw?: boolean } {
  if (raw && request.palette) throw new usage('--raw renders without palette processing; leave --palette out');
  if (name === undefined) return raw ? { ...request, raw: true } : request;
  if (raw) throw new usage('--raw renders without style presets; leave --style out');
  const preset = builtinStyle(name);
  if (!preset) throw new usage(`--style must name a built-in style when generating locally (${BUILTIN_STYLES.map((s) => s.name).join(', ')}); a farm (--api) also knows its tenant's own`);
  const { input, prompt } = applyStyle(
    { prompt: request.prompt, steps: request.steps, guidance: request.guidance, palette: request.palette, aspect_ratio: request.aspectRatio, ultra: request.ultra, width: request.width, height: request.height },
    preset,
  );
  return { ...request, prompt, steps: input.steps, guidance: input.guidance, palette: input.palette, aspectRatio: input.aspect_ratio as AspectRatioFlag | undefined, ultra: input.ultra, style: name };
}
