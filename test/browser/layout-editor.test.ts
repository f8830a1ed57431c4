// The playground's layout editor in headless Chromium against a running farm: two boxes drawn
// on the canvas with the mouse, a prompt and a label for each, and the job submitted with that
// layout renders and succeeds.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowfarmClient } from '@flowfarm/client';
import { REPO_ROOT, startTestFarm, type TestFarm } from '../client/test-farm.js';
import { enterKey, generateInPlayground, launchChromium } from './playground-flow.js';

const run = promisify(execFile);
let farm: TestFarm;
let farmStarting: Promise<TestFarm> | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  farmStarting = startTestFarm();
  await run('npm', ['run', 'build', '-w', '@flowfarm/web'], { cwd: REPO_ROOT });
  farm = await farmStarting;
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await farmStarting?.then((started) => started.close(), () => {});
});

/** Drags on the layout canvas from (x0, y0) to (x1, y1), given as fractions of its size. */
async function drawBox(page: Page, [x0, y0, x1, y1]: [number, number, number, number]): Promise<void> {
  await page.locator('#layout-canvas').scrollIntoViewIfNeeded();
  const rect = (await page.locator('#layout-canvas').boundingBox())!;
  await page.mouse.move(rect.x + x0 * rect.width, rect.y + y0 * rect.height);
  await page.mouse.down();
  await page.mouse.move(rect.x + ((x0 + x1) / 2) * rect.width, rect.y + ((y0 + y1) / 2) * rect.height, { steps: 3 });
  await page.mouse.move(rect.x + x1 * rect.width, rect.y + y1 * rect.height, { steps: 3 });
  await page.mouse.up();
}

describe('playground layout editor', { timeout: 180_000 }, () => {
  it('draws two boxes, gives each a prompt and a label, and the job with that layout succeeds', async () => {
    const page = await browser!.newPage();
    await page.goto(`${farm.url}/`);
    await enterKey(page, '#api-key', farm.apiKey);
    await page.waitForSelector(`#model option[value="${farm.model}"]`, { state: 'attached' });
    await page.click('#layout-editor summary');
    await drawBox(page, [0.05, 0.05, 0.45, 0.45]);
    await drawBox(page, [0.55, 0.55, 0.95, 0.95]);
    // a click (no drag) draws nothing
    await drawBox(page, [0.5, 0.1, 0.5, 0.1]);
    expect(await page.locator('[data-testid="layout-object"]').count()).toBe(2);
    await page.fill('[data-testid="layout-prompt-1"]', 'a large red circle on a white background');
    await page.fill('[aria-label="label of box 1"]', 'circle');
    await page.fill('[data-testid="layout-prompt-2"]', 'a large blue square on a white background');
    await page.fill('[aria-label="label of box 2"]', 'square');
    await page.fill('#layout-background', 'a white background');
    expect(await page.textContent('#layout-hint')).toContain('2 of 8 boxes');

    const outcome = await generateInPlayground(page, 'a red circle and a blue square on a white background', { steps: 4, seed: 7, model: farm.model });
    expect(outcome.statuses.at(-1)).toBe('Done');
    expect(outcome.imageWidth).toBe(64);

    // the job went out with the drawn layout
    const client = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey });
    const [job] = (await client.list({ limit: 1 })).data;
    expect(job.status).toBe('succeeded');
    const layout = job.input.layout!;
    expect(layout.background).toBe('a white background');
    expect(layout.objects.map((o) => [o.prompt, o.label])).toEqual([
      ['a large red circle on a white background', 'circle'],
      ['a large blue square on a white background', 'square'],
    ]);
    const near = (box: number[], want: number[]) => box.every((v, i) => Math.abs(v - want[i]) < 0.02);
    expect(near(layout.objects[0].box, [0.05, 0.05, 0.45, 0.45]), JSON.stringify(layout.objects[0].box)).toBe(true);
    expect(near(layout.objects[1].box, [0.55, 0.55, 0.95, 0.95]), JSON.stringify(layout.objects[1].box)).toBe(true);

    // removing a box, then clearing, leaves a job without a layout
    await page.click('[aria-label="remove box 1"]');
    expect(await page.locator('[data-testid="layout-object"]').count()).toBe(1);
    await page.click('#layout-clear');
    expect(await page.locator('[data-testid="layout-object"]').count()).toBe(0);
    await page.close();
  });
});
