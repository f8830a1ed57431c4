// Durability: a dataset rendered while workers are SIGKILLed (2 kills here, each worker
// replaced) ends with a complete manifest, no item twice, and each item metered once. The
// long run (a kill every 10 s) is bench/dataset-durability.ts; its figures are in
// docs/layouts-and-datasets.md.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFarm, type Farm } from './support/farm.js';
import { runDatasetUnderKills } from './support/dataset-durability.js';

vi.setConfig({ testTimeout: 400_000, hookTimeout: 240_000 });

let farm: Farm | undefined;
afterEach(async () => {
  await farm?.close();
  farm = undefined;
});

describe('dataset durability', () => {
  it('a dataset with two workers SIGKILLed along the way: manifest complete, no duplicates, each item metered once', async () => {
    // MAX_STALLED_COUNT=0: BullMQ gives up on every chunk a killed worker held (as it does after
    // 3 deaths by default); the workers must queue those chunks again or the dataset never ends
    farm = await startFarm({ workers: 2, workerEnv: { LOCK_DURATION_MS: '1500', STALLED_INTERVAL_MS: '750', MAX_STALLED_COUNT: '0' } });
    const spec = { count: 240, seed: 21, prompt: 'a large {color} circle in the center on a white background', variables: { color: ['red', 'blue', 'green'] }, width: 128, height: 128, steps: 12 };
    // kills when a quarter and a half of the items are done (not on a clock: any machine speed)
    const figures = await runDatasetUnderKills(farm, { spec, kills: 2, atFractions: [0.25, 0.5] });
    console.log(`dataset durability: ${JSON.stringify(figures)}`);
    expect(figures).toMatchObject({ status: 'succeeded', items: 240, kills: 2, manifestLines: 240, duplicates: 0, missing: 0, failed: 0, meteredImages: 240 });
  });
});
