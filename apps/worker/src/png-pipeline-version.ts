// The pipeline version a stored PNG names, read when a dataset is finalized.
/** The `pipeline` tEXt chunk of a PNG (the pipeline version that made it), without decoding pixels. */
export function pngPipelineVersion(png: Uint8Array): string | null {
  const view = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at + 8 <= view.length;) {
    const length = view.readUInt32BE(at);
    const type = view.toString('latin1', at + 4, at + 8);
    if (type === 'tEXt') {
      const body = view.toString('latin1', at + 8, at + 8 + length);
      const nul = body.indexOf('\0');
      if (body.slice(0, nul) === 'pipeline') return body.slice(nul + 1);
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return null;
}
