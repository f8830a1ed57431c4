// Regenerates docs/playground.png: a farm with the shipped model, the playground after a few
// generations (image + gallery). Run: npx tsx --conditions=development test/browser/take-playground-screenshot.ts
import path from 'node:path';
import { REPO_ROOT, startTestFarm } from '../client/test-farm.js';
import { enterKey, generateInPlayground, launchChromium } from './playground-flow.js';

// Full prompts in the tiny-shapes grammar (size, color, shape, position, background): what the model is made for.
const PROMPTS = ['a large blue square at the top left on a yellow background', 'a small green triangle at the bottom right on a white background', 'a large red circle in the center on a blue background'];

const farm = await startTestFarm();
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(`${farm.url}/`);
  await enterKey(page, '#api-key', farm.apiKey);
  for (const [k, prompt] of PROMPTS.entries()) await generateInPlayground(page, prompt, { steps: 8, seed: 100 + k, model: farm.model });
  await page.locator('#gallery li img').nth(PROMPTS.length - 1).waitFor();
  const out = path.join(REPO_ROOT, 'docs', 'playground.png');
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await farm.close();
}
