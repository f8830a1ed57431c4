// --format and --quality of `flowfarm generate`, shared by local and farm generation.

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
