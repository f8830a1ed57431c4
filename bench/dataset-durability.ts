// Durability of a dataset under worker kills: 2 worker processes, one SIGKILLed every
// DURABILITY_EVERY_S seconds (default 10) and replaced, for the whole run; then the manifest is
// checked (lines, duplicates, missing) and the metered images compared with the items.
// Run: npx tsx --conditions=development bench/dataset-durability.ts
//      (DURABILITY_ITEMS=600 DURABILITY_EVERY_S=10 DURABILITY_KILLS=1000 DURABILITY_SIZE=128 DURABILITY_STEPS=12)
import { cpus, loadavg } from 'node:os';
import { startFarm } from '../test/farm/support/farm.js';
import { runDatasetUnderKills } from '../test/farm/support/dataset-durability.js';

const ITEMS = Number(process.env.DURABILITY_ITEMS ?? 600);
const EVERY_S = Number(process.env.DURABILITY_EVERY_S ?? 10);
const KILLS = Number(process.env.DURABILITY_KILLS ?? 1000);
const SIZE = Number(process.env.DURABILITY_SIZE ?? 128);
const STEPS = Number(process.env.DURABILITY_STEPS ?? 12);

console.log(`machine: ${cpus().length} cores, load average ${loadavg()[0].toFixed(1)}`);
const farm = await startFarm({ workers: 2, workerEnv: { LOG_LEVEL: 'warn', LOCK_DURATION_MS: '1500', STALLED_INTERVAL_MS: '750' } });
try {
  const spec = { count: ITEMS, seed: 31, prompt: 'a large {color} circle in the center on a white background', variables: { color: ['red', 'blue', 'green'] }, width: SIZE, height: SIZE, steps: STEPS };
  const f = await runDatasetUnderKills(farm, { spec, kills: KILLS, everyMs: EVERY_S * 1000, log: console.log });
  console.log(`dataset ${f.datasetId}: ${f.status} in ${f.seconds.toFixed(1)} s (${SIZE}x${SIZE}, ${STEPS} steps, 2 workers, one SIGKILLed every ${EVERY_S} s)`);
  console.log(`items ${f.items}, kills ${f.kills}, manifest lines ${f.manifestLines}, duplicates ${f.duplicates}, missing ${f.missing}, failed ${f.failed}, metered images ${f.meteredImages}, chunks queued again ${f.requeuedChunks}`);
  if (f.status !== 'succeeded' || f.duplicates || f.missing || f.manifestLines !== f.items || f.meteredImages !== f.items) process.exitCode = 1;
} finally {
  await farm.close();
}
process.exit(process.exitCode ?? 0);
