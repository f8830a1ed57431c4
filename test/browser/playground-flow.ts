// Drives the playground like a person: enter the key once, type a prompt, generate, and watch
// the status line until the image shows. Shared by the browser test and the screenshot script.
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export async function enterKey(page: Page, inputSelector: string, key: string): Promise<void> {
  await page.fill(inputSelector, key);
  await page.click('#key-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('key-status')?.textContent?.includes('saved'));
}

export interface GenerateOutcome {
  /** Every text the status line showed, in order. */
  statuses: string[];
  imageWidth: number;
}

/** Fills the form, submits, and resolves once the image has loaded. */
export async function generateInPlayground(page: Page, prompt: string, options: { steps: number; seed: number; model: string }): Promise<GenerateOutcome> {
  await page.waitForSelector(`#model option[value="${options.model}"]`, { state: 'attached' });
  await page.selectOption('#model', options.model);
  await page.fill('#prompt', prompt);
  await page.fill('#steps', String(options.steps));
  await page.fill('#seed', String(options.seed));
  // Record each text the status line takes (the job may finish faster than a poll could see).
  await page.evaluate(() => {
    const line = document.getElementById('job-status')!;
    const seen: string[] = [];
    (window as unknown as { __statuses: string[] }).__statuses = seen;
    new MutationObserver((records) => {
      for (const record of records) for (const node of Array.from(record.addedNodes)) seen.push(node.textContent ?? '');
    }).observe(line, { childList: true, characterData: true, subtree: true });
  });
  await page.click('#generate');
  await page.waitForFunction(() => {
    const image = document.getElementById('job-image') as HTMLImageElement | null;
    return image !== null && !document.getElementById('job-image-frame')!.hidden && image.complete && image.naturalWidth > 0;
  }, undefined, { timeout: 60_000 });
  const statuses = await page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses);
  const imageWidth = await page.evaluate(() => (document.getElementById('job-image') as HTMLImageElement).naturalWidth);
  return { statuses, imageWidth };
}
