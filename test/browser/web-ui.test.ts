// The web UI in a real headless Chromium against a running farm: the playground generates an
// image with live progress, and the operator view shows the queue and the worker and cancels
// a queued job.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Browser, BrowserContext } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlowfarmAdmin, FlowfarmClient } from '@flowfarm/client';
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

  it('playground: several images, each with a download link and "reuse this seed"; the job JSON opens', async () => {
    const page = await context.newPage();
    await page.goto(`${farm.url}/`);
    await enterKey(page, '#api-key', farm.apiKey);
    await page.fill('#num-images', '2');
    await generateInPlayground(page, 'a green square', { steps: 4, seed: 7, model: farm.model });

    const entries = page.locator('#job-outputs li');
    await entries.nth(1).locator('img').waitFor();
    expect(await entries.count()).toBe(2);
    await page.waitForFunction(() => (document.querySelector('#job-outputs li[data-index="1"] img') as HTMLImageElement | null)?.naturalWidth === 64);

    // The download link names a file and serves the PNG.
    const download = entries.nth(1).getByRole('link', { name: 'Download' });
    expect(await download.getAttribute('download')).toMatch(/^job_[\w-]+-1\.png$/);
    const res = await fetch((await download.getAttribute('href'))!);
    const fetched = { status: res.status, type: res.headers.get('content-type') };
    expect(fetched).toEqual({ status: 200, type: 'image/png' });

    // "Reuse seed" puts the image's own seed into the form (the second image's seed differs from the first's).
    const reuse = entries.nth(1).getByRole('button', { name: /^Reuse seed \d+$/ });
    const seed = await reuse.getAttribute('data-seed');
    await page.fill('#seed', '');
    await reuse.click();
    expect(await page.inputValue('#seed')).toBe(seed);

    // The job JSON is the job as the API returned it.
    const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Job JSON' }).click()]);
    await tab.waitForLoadState();
    const json = JSON.parse(await tab.evaluate(() => document.body.innerText)) as { id: string; status: string; outputs: Array<{ seed: number }> };
    await tab.close();
    expect(json.status).toBe('succeeded');
    expect(json.outputs.map((o) => String(o.seed))).toContain(seed);
    await page.close();
  });

  it('playground: image-to-image from a result above or from a file', async () => {
    const page = await context.newPage();
    await page.goto(`${farm.url}/`);
    await enterKey(page, '#api-key', farm.apiKey);
    await generateInPlayground(page, 'a red circle', { steps: 4, seed: 5, model: farm.model });

    /** Generates and resolves with the JSON of the new job (once its status line says Done). */
    const generateNext = async () => {
      const before = await page.getAttribute('#job-json', 'title');
      await page.click('#generate');
      await page.waitForFunction((old) => {
        const link = document.getElementById('job-json');
        return link?.title && link.title !== old && document.getElementById('job-status')?.textContent === 'Done';
      }, before, { timeout: 60_000 });
      const [tab] = await Promise.all([context.waitForEvent('page'), page.getByRole('link', { name: 'Job JSON' }).click()]);
      await tab.waitForLoadState();
      const job = JSON.parse(await tab.evaluate(() => document.body.innerText)) as { status: string; input: { strength?: number }; input_image: { width: number; sha256: string } | null };
      await tab.close();
      return job;
    };

    await page.locator('#job-outputs li[data-index="0"]').getByRole('button', { name: 'Use as starting image' }).click();
    expect(await page.textContent('#start-image-from')).toMatch(/^image 1 of job_/);
    await page.fill('#strength', '0.5');
    const fromResult = await generateNext();
    expect(fromResult.status).toBe('succeeded');
    expect(fromResult.input.strength).toBe(0.5);
    expect(fromResult.input_image?.width).toBe(64);

    // a file from disk (96 px wide, so the view shows it is this one)
    const file = await sharp({ create: { width: 96, height: 64, channels: 3, background: '#2040c0' } }).png().toBuffer();
    await page.setInputFiles('#start-image', { name: 'blue.png', mimeType: 'image/png', buffer: file });
    await page.waitForFunction(() => document.getElementById('start-image-from')?.textContent === 'blue.png');
    const fromFile = await generateNext();
    expect(fromFile.input_image?.width).toBe(96);

    // and back to text-to-image
    await page.click('#clear-start-image');
    expect((await generateNext()).input_image).toBeNull();
    await page.close();
  });

  it('playground: an image that cannot be loaded is reported, not shown as "Done"', async () => {
    const page = await context.newPage();
    await page.route('**/files/**', (route) => route.fulfill({ status: 404, body: 'gone' }));
    await page.goto(`${farm.url}/`);
    await enterKey(page, '#api-key', farm.apiKey);
    await page.waitForSelector(`#model option[value="${farm.model}"]`, { state: 'attached' });
    await page.fill('#prompt', 'a blue circle');
    await page.click('#generate');
    await page.waitForFunction(() => document.getElementById('job-status')?.textContent?.includes('could not be loaded'), undefined, { timeout: 60_000 });
    expect(await page.locator('#job-status').getAttribute('class')).toContain('error');
    await page.close();
  });

  it("usage: the playground charts the tenant's images per day with its quota meters; the ops page charts and lists every tenant", async () => {
    await new FlowfarmAdmin({ baseUrl: farm.url, adminKey: farm.adminKey }).setTenant(farm.tenant, { quotas: { daily_images: 100 } });
    const page = await context.newPage();
    await page.goto(`${farm.url}/`);
    await enterKey(page, '#api-key', farm.apiKey);
    // the jobs above succeeded today: today's bar is drawn, and the meter counts them against 100
    await page.locator('#usage svg.usage-chart rect').first().waitFor();
    expect(await page.locator('#usage .quota-meter').first().getAttribute('aria-label')).toMatch(/^Images today: \d+ of 100$/);
    expect(await page.locator('#usage').textContent()).toMatch(/Last 30 days: \d+ jobs/);

    const ops = await context.newPage();
    await ops.goto(`${farm.url}/ops`);
    await enterKey(ops, '#admin-key', farm.adminKey);
    await ops.locator('#usage-chart svg.usage-chart rect').first().waitFor();
    const row = ops.locator('#usage-body tr', { hasText: farm.tenant });
    await row.waitFor();
    expect(await row.textContent()).toContain('day 100 img');
    await ops.close();
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

  it('playground: a job waiting for a worker is cancelled with its Cancel button', async () => {
    // the operator-view test above stopped the worker, so this job stays queued
    const page = await context.newPage();
    await page.goto(`${farm.url}/`);
    await enterKey(page, '#api-key', farm.apiKey);
    await page.fill('#prompt', 'a yellow triangle');
    await page.click('#generate');
    await page.waitForFunction(() => document.getElementById('job-status')?.textContent?.startsWith('Queued'));
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForFunction(() => document.getElementById('job-status')?.textContent?.startsWith('Canceled'), undefined, { timeout: 15_000 });
    expect(await page.locator('#cancel-job').isHidden()).toBe(true);
    await page.close();
  });
});
