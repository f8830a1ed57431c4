// Output formats: bytes per image for png / jpeg / webp at several sizes, whether the lossy
// files carry the parameters, and whether adherence survives the compression.
import type { Context } from './harness.js';
import { ACCURACY_HEADER, accuracyRow, renderCases, scoreRendered } from './harness.js';

export async function formatsSection(ctx: Context): Promise<string> {
  const lines = ['## Output formats', '', '| size | format | mean bytes | vs png | parameters in file |', '|---|---|---|---|---|'];
  const adherence: string[] = [];
  for (const size of [64, 128, 256]) {
    let pngBytes = 0;
    for (const [format, quality] of [['png', undefined], ['jpeg', 90], ['webp', 90]] as const) {
      const rendered = await renderCases(ctx, () => ({ width: size, height: size, outputFormat: format, outputQuality: quality }));
      const mean = rendered.reduce((s, r) => s + r.bytes.byteLength, 0) / rendered.length;
      if (format === 'png') pngBytes = mean;
      const carried = rendered.filter((r) => r.parameters.prompt === r.case.prompt && r.parameters.seed === String(r.case.seed)).length;
      lines.push(`| ${size} | ${format}${quality ? ` q${quality}` : ''} | ${mean.toFixed(0)} | ${(mean / pngBytes).toFixed(2)} | ${carried}/${rendered.length} |`);
      if (size === 64) adherence.push(accuracyRow(`${format} 64x64`, scoreRendered(ctx, rendered)));
      ctx.log(`formats ${size} ${format}`);
    }
  }
  return [...lines, '', 'Adherence read back from each format (percent correct):', '', ACCURACY_HEADER, ...adherence].join('\n');
}
