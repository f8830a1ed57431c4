// `flowfarm dataset create spec.json --out dir | get <id> | cancel <id> | list` — labelled
// synthetic datasets on a farm. `create` submits the spec, shows progress and downloads the
// whole set (images, manifest.jsonl, annotations.json, summary.json) into --out.

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DatasetSpec, DatasetView, FlowfarmClient } from '@flowfarm/client';
import { EXIT_FAILED, EXIT_OK, UsageError, farmContext, parseCommandArgs, runFarmCommand } from '../farm/farm-command.js';
import { printJson, printTable } from '../farm/print-output.js';

const USAGE = `usage: flowfarm dataset create <spec.json> --out <dir> [--no-wait] [--json] [--api URL]
       flowfarm dataset get <id> [--json] [--api URL]
       flowfarm dataset cancel <id> [--json] [--api URL]
       flowfarm dataset list [--json] [--api URL]
(uses FLOWFARM_API_KEY; spec format: docs/layouts-and-datasets.md)
`;

/** Downloads at a time: enough to hide latency, few enough not to crowd the farm. */
const PARALLEL_DOWNLOADS = 8;

export function run(argv: string[]): Promise<number> {
  return runFarmCommand('dataset', USAGE, async () => {
    const { values, positionals } = parseCommandArgs(argv, { out: { type: 'string' }, 'no-wait': { type: 'boolean', default: false } });
    if (values.help) {
      process.stdout.write(USAGE);
      return EXIT_OK;
    }
    const [action, arg, ...extra] = positionals;
    if (extra.length) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
    const farm = farmContext(values);
    if (action === 'list') {
      const list = await farm.client().datasets.list();
      if (farm.json) printJson({ data: list });
      else printTable(['ID', 'STATUS', 'DONE', 'COUNT', 'MODEL', 'CREATED'], list.map((d) => [d.id, d.status, String(d.counts.succeeded + d.counts.failed), String(d.count), d.model, d.created_at]), 'no datasets');
      return EXIT_OK;
    }
    if (action === 'get' || action === 'cancel') {
      if (!arg) throw new UsageError(`dataset ${action} needs a dataset id`);
      const d = action === 'get' ? await farm.client().datasets.get(arg) : await farm.client().datasets.cancel(arg);
      if (farm.json) printJson(d);
      else printDetails(d);
      return EXIT_OK;
    }
    if (action !== 'create') throw new UsageError(action ? `unknown action "${action}"` : 'missing action');
    if (!arg) throw new UsageError('dataset create needs a spec file (JSON)');
    const wait = !values['no-wait'];
    if (wait && !values.out) throw new UsageError('dataset create needs --out <dir> (or --no-wait)');
    let spec: DatasetSpec;
    try {
      spec = JSON.parse(await readFile(arg, 'utf8')) as DatasetSpec;
    } catch (err) {
      throw new UsageError(`cannot read ${arg}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const client = farm.client();
    const created = await client.datasets.create(spec);
    process.stderr.write(`dataset ${created.id}: ${created.count} items, seed ${String(created.spec.seed)}\n`);
    if (!wait) {
      if (farm.json) printJson(created);
      return EXIT_OK;
    }
    const bar = progressBar(process.stderr);
    const done = await client.datasets.wait(created.id, { pollMs: 500, onProgress: (d) => bar(`rendering ${d.counts.succeeded + d.counts.failed}/${d.count}`, (d.counts.succeeded + d.counts.failed) / d.count) });
    bar.end();
    if (done.status !== 'succeeded') {
      process.stderr.write(`flowfarm dataset: ${done.id} ${done.status} (${done.counts.succeeded} of ${done.count} rendered)${done.error ? `: ${done.error}` : ''}\n`);
      return EXIT_FAILED;
    }
    await download(client, done, values.out!, bar);
    if (farm.json) printJson({ ...done, out: path.resolve(values.out!) });
    else process.stdout.write(`${done.counts.succeeded} images, manifest.jsonl, annotations.json and summary.json in ${values.out}\n`);
    return EXIT_OK;
  });
}

async function download(client: FlowfarmClient, d: DatasetView, out: string, bar: ReturnType<typeof progressBar>): Promise<void> {
  await mkdir(path.join(out, 'images'), { recursive: true });
  const manifest = Buffer.from(await client.datasets.file(d.files!.manifest)).toString('utf8');
  await writeFile(path.join(out, 'manifest.jsonl'), manifest);
  await writeFile(path.join(out, 'annotations.json'), await client.datasets.file(d.files!.annotations));
  await writeFile(path.join(out, 'summary.json'), await client.datasets.file(d.files!.summary));
  const items = manifest.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { index: number; status: string; file: string | null });
  const todo = items.filter((it) => it.status === 'succeeded' && it.file);
  let next = 0, fetched = 0;
  const workerLoop = async () => {
    for (let k = next++; k < todo.length; k = next++) {
      const item = todo[k];
      // the file name comes from the index, never from the server's text
      await writeFile(path.join(out, 'images', `${String(item.index).padStart(6, '0')}.png`), await client.datasets.image(d.id, item.index));
      bar(`downloading ${++fetched}/${todo.length}`, fetched / todo.length);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_DOWNLOADS }, workerLoop));
  bar.end();
}

/** One redrawn line on a terminal; a line per 10 % otherwise (logs, CI). */
function progressBar(out: NodeJS.WriteStream) {
  let lastDecile = -1;
  const show = (label: string, fraction: number) => {
    const width = 24, filled = Math.round(Math.min(1, fraction) * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${label}`;
    if (out.isTTY) out.write(`\r\x1b[K${line}`);
    else if (Math.floor(fraction * 10) !== lastDecile) {
      lastDecile = Math.floor(fraction * 10);
      out.write(`${line}\n`);
    }
  };
  show.end = () => {
    if (out.isTTY) out.write('\r\x1b[K');
    lastDecile = -1;
  };
  return show;
}

function printDetails(d: DatasetView): void {
  const lines = [
    `id        ${d.id}`,
    `status    ${d.status}`,
    `model     ${d.model}`,
    `items     ${d.counts.succeeded} succeeded, ${d.counts.failed} failed, ${d.counts.pending} pending of ${d.count}`,
    `seed      ${String(d.spec.seed)}`,
    `created   ${d.created_at}`,
  ];
  if (d.finished_at) lines.push(`finished  ${d.finished_at}`);
  if (d.error) lines.push(`error     ${d.error}`);
  if (d.files) lines.push(`manifest  ${d.files.manifest}`, `coco      ${d.files.annotations}`, `summary   ${d.files.summary}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
