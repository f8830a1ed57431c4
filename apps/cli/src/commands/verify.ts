// `flowfarm verify FILE` — is this image what the farm made? Checks the signed provenance record
// in the file (valid / tampered / unsigned / unknown key) and, when the record does not settle
// it, the invisible watermark, which survives stripped metadata, recompression, resizing and
// cropping. Through the farm (POST /v1/verify, FLOWFARM_API_KEY), or offline with --keys.

import { readFile } from 'node:fs/promises';
import type { VerifyResult } from '@flowfarm/client';
import { EXIT_FAILED, EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson } from '../farm/print-output.js';

const USAGE = `usage: flowfarm verify FILE [--keys KEYS.json|URL] [--watermark] [--json] [--api URL]
  exit 0 when the file is valid, 1 when tampered, unsigned or signed with an unknown key.
  --keys       verify offline against a saved /.well-known/flowfarm-keys.json (file or URL)
  --watermark  also look for the watermark when the record is valid
`;

const STATUS_LINES: Record<VerifyResult['status'], string> = {
  valid: 'valid: signed by this farm and unchanged',
  tampered: 'TAMPERED: the file does not match its signed record',
  unsigned: 'unsigned: no provenance record in the file',
  unknown_key: 'unknown key: signed with a key this farm does not publish',
};

async function verifyOffline(bytes: Uint8Array, keys: string, always: boolean): Promise<VerifyResult> {
  // Loaded only here: offline verification needs the image decoders, the farm path does not.
  const { KeyRing, verifyImageFile } = await import('@flowfarm/trust');
  let set: { keys?: Array<{ kid: string; x: string }> };
  try {
    set = /^https?:\/\//.test(keys) ? ((await (await fetch(keys)).json()) as typeof set) : (JSON.parse(await readFile(keys, 'utf8')) as typeof set);
  } catch (error) {
    throw new UsageError(`cannot read keys from ${keys}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(set.keys)) throw new UsageError(`${keys} is not a key set ({"keys": [...]})`);
  const result = await verifyImageFile(bytes, new KeyRing(set.keys), { watermark: always ? 'always' : 'auto' });
  const { watermark, ...rest } = result;
  const summary = watermark ? { found: watermark.found, scheme: watermark.scheme, payload: watermark.payload, scale: watermark.scale, job_id: null, image_index: null } : null;
  return { ...rest, manifest: rest.manifest as VerifyResult['manifest'], watermark: summary };
}

function describe(result: VerifyResult): string {
  const lines = [STATUS_LINES[result.status]];
  const m = result.manifest;
  if (m) lines.push(`  job ${m.job_id} (tenant ${m.tenant}), image ${m.image_index}, model ${m.model.name}, made ${m.created_at}, key ${result.kid}`);
  for (const problem of result.problems) if (result.status !== 'unsigned' || !result.watermark) lines.push(`  ${problem}`);
  const w = result.watermark;
  if (w) {
    lines.push(w.found ? `watermark: found, payload ${w.payload}${w.scale !== 1 ? ` (image resized ×${w.scale})` : ''}${w.job_id ? `, job ${w.job_id} image ${w.image_index}` : ''}` : 'watermark: not found');
  }
  return `${lines.join('\n')}\n`;
}

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('verify', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, { keys: { type: 'string' }, watermark: { type: 'boolean', default: false } });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const [file, ...extra] = positionals;
    if (!file) throw new UsageError('verify needs a FILE');
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (error) {
      throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
    }
    const result = values.keys
      ? await verifyOffline(bytes, values.keys, values.watermark)
      : await farmContext(values).client().verify(bytes, { watermark: values.watermark ? 'always' : 'auto' });
    if (values.json) printJson(result);
    else process.stdout.write(describe(result));
    return result.status === 'valid' ? EXIT_OK : EXIT_FAILED;
  });
}
