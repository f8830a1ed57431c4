// A dataset run while worker processes are SIGKILLed (each replaced by a fresh one), then its
// manifest checked: one line per item, none missing, none twice, and the usage metered once
// per item. Used by test/farm/farm-dataset-durability.test.ts (2 kills) and
// bench/dataset-durability.ts (a kill every 10 s for the whole run).
import type { Farm, WorkerProcess } from './farm.js';

export interface DurabilityOptions {
  /** the dataset spec (its `count` is the number of items) */
  spec: Record<string, unknown> & { count: number };
  /** most kills */
  kills: number;
  /** kill every this many ms (the figure: 10 s) … */
  everyMs?: number;
  /** … or when these fractions of the items are done (speed-independent, for tests) */
  atFractions?: number[];
  log?: (line: string) => void;
  /** give up when no item finishes for this long (default 180 s): the figures then show the gap */
  stallTimeoutMs?: number;
}

export interface DurabilityFigures {
  datasetId: string;
  status: string;
  items: number;
  kills: number;
  manifestLines: number;
  duplicates: number;
  missing: number;
  failed: number;
  /** images the tenant's usage counted (should equal the items: an item re-run counts once) */
  meteredImages: number;
  /** times a chunk BullMQ gave up on (its workers died too often) was queued again */
  requeuedChunks: number;
  seconds: number;
}

type View = { id: string; status: string; counts: { succeeded: number; failed: number; pending: number }; files: { manifest: string } | null };

export async function runDatasetUnderKills(farm: Farm, options: DurabilityOptions): Promise<DurabilityFigures> {
  const log = options.log ?? (() => {});
  const usageBefore = await meteredImages(farm);
  const started = performance.now();
  const res = await farm.call('POST', '/v1/datasets', { body: options.spec });
  if (res.status !== 202) throw new Error(`dataset create answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as View;
  let kills = 0;
  let lastKill = performance.now();
  let replacing: Promise<WorkerProcess> | null = null;
  const victims = new Set<WorkerProcess>();
  let view: View;
  let lastDone = -1;
  let lastProgress = performance.now();
  for (;;) {
    view = (await (await farm.call('GET', `/v1/datasets/${id}`)).json()) as View;
    if (!['queued', 'running'].includes(view.status)) break;
    const done = view.counts.succeeded + view.counts.failed;
    if (done !== lastDone) [lastDone, lastProgress] = [done, performance.now()];
    if (performance.now() - lastProgress > (options.stallTimeoutMs ?? 180_000)) {
      log(`no item finished for ${((options.stallTimeoutMs ?? 180_000) / 1000).toFixed(0)} s: stuck at ${done}/${options.spec.count}`);
      break;
    }
    const due =
      kills < options.kills &&
      !replacing &&
      view.counts.pending > 0 &&
      (options.atFractions ? done >= options.atFractions[kills] * options.spec.count : performance.now() - lastKill >= (options.everyMs ?? 10_000));
    if (due) {
      const victim = farm.workers.find((w) => !victims.has(w) && w.child.exitCode === null && w.child.signalCode === null);
      if (victim) {
        victims.add(victim);
        victim.child.kill('SIGKILL');
        await victim.exited;
        kills++;
        lastKill = performance.now();
        log(`kill ${kills}: ${victim.id} at ${done}/${options.spec.count} items, ${((lastKill - started) / 1000).toFixed(1)} s`);
        replacing = farm.startWorker().finally(() => (replacing = null));
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await replacing;
  const seconds = (performance.now() - started) / 1000;
  const lines = view.files ? (await (await fetch(view.files.manifest)).text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { index: number; status: string }) : [];
  const seen = new Set<number>();
  let duplicates = 0;
  for (const line of lines) {
    if (seen.has(line.index)) duplicates++;
    seen.add(line.index);
  }
  let missing = 0;
  for (let i = 0; i < options.spec.count; i++) if (!seen.has(i)) missing++;
  return {
    datasetId: id, status: view.status, items: options.spec.count, kills, manifestLines: lines.length, duplicates, missing,
    failed: lines.filter((l) => l.status !== 'succeeded').length,
    meteredImages: (await meteredImages(farm)) - usageBefore,
    requeuedChunks: Object.entries(await farm.redis.hgetall(`${farm.prefix}:dataset:${id}`)).reduce((n, [field, value]) => n + (field.startsWith('requeued:') ? Number(value) : 0), 0),
    seconds,
  };
}

async function meteredImages(farm: Farm): Promise<number> {
  const usage = (await (await farm.call('GET', '/v1/usage')).json()) as { totals: { images: number } };
  return usage.totals.images;
}
