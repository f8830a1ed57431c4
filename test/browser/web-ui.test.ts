// The web UI in a real headless Chromium against a running farm: the playground generates an
// image with live progress, and the operator view shows the queue and the worker and cancels
// a queued job.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowfarmClient } from '@flowfarm/client';
import { REPO_ROOT, startTestFarm, type TestFarm } from '../client/test-farm.js';
import { enterKey, generateInPlayground, launchChromium } from './playground-flow.js';

const run = promisify(execFile);
let farm: TestFarm;
// Kept so afterAll stops a farm whose start outlived a timed-out beforeAll.
let farmStarting: Promise<TestFarm> | undefined;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  farmStarting = startTestFarm();
  // Test the UI as the source is now, not a dist/ left from an earlier install (the API reads
  // dist/ per request, so building while the farm starts is fine).
  await run('npm', ['run', 'build', '-w', '@flowfarm/web'], { cwd: REPO_ROOT });
  farm = await farmStarting;
  browser = await launchChromium();
  context = await browser.newContext();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await farmStarting?.then((started) => started.close(), () => {});
});

describe('web UI', { timeout: 180_000 }, () => {
  it('playground: key entered once, prompt submitted, progress shown, then the image and the gallery', async () => {
    const page = await context.newPage();
    await page.goto(`${farm.url}/`);
    await enterKey(page, '#api-key', farm.apiKey);

    const outcome = await generateInPlayground(page, 'a red circle on a blue background', { steps: 6, seed: 42, model: farm.model });
    expect(outcome.statuses.some((text) => /^Running — step \d of 6$/.test(text))).toBe(true);
    expect(outcome.statuses.findIndex((text) => text.startsWith('Queued'))).toBeLessThan(outcome.statuses.findIndex((text) => text.startsWith('Running')));
    expect(outcome.statuses.at(-1)).toBe('Done');
    expect(outcome.imageWidth).toBe(64);

    const item = page.locator('#gallery li[data-status="succeeded"]').first();
    await item.waitFor();
    expect(await item.textContent()).toContain('a red circle on a blue background');
    expect(await item.textContent()).toContain('6 steps · seed 42');

    // The key lives in local storage, never in the URL, and survives a reload.
    expect(page.url()).not.toContain(farm.apiKey);
    expect(await page.evaluate(() => localStorage.getItem('flowfarm.apiKey'))).toBe(farm.apiKey);
    await page.reload();
    await page.locator('#gallery li[data-status="succeeded"]').first().waitFor();
    await page.close();
  });

  it('operator view: queue and worker listed; a queued job is cancelled from its row', async () => {
    const page = await context.newPage();
    await page.goto(`${farm.url}/ops`);
    await enterKey(page, '#admin-key', farm.adminKey);

    const queueRow = page.locator(`#queues-body tr[data-model="${farm.model}"]`);
    await queueRow.waitFor();
    expect(await queueRow.locator('[data-field="waiting"]').textContent()).toBe('0');
    const workerRow = page.locator('#workers-body tr[data-worker-id]');
    await workerRow.waitFor();
    expect(await workerRow.textContent()).toContain(farm.model);

    // Without a worker the next job waits; the in-flight table shows it with a Cancel button.
    await farm.stopWorker();
    const client = new FlowfarmClient({ baseUrl: farm.url, apiKey: farm.apiKey });
    const queued = await client.submit({ prompt: 'a blue triangle' });
    const jobRow = page.locator(`#in-flight-body tr[data-job-id="${queued.id}"]`);
    await jobRow.waitFor({ timeout: 15_000 });
    await page.waitForFunction((model) => document.querySelector(`#queues-body tr[data-model="${model}"] [data-field="waiting"]`)?.textContent === '1', farm.model);
    await jobRow.getByRole('button', { name: 'Cancel' }).click();
    await jobRow.waitFor({ state: 'detached', timeout: 15_000 });
    expect((await client.get(queued.id)).status).toBe('canceled');
    await page.close();
  });
});
