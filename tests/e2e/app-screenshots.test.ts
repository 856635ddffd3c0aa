/**
 * Screenshots of the recorder (mid-recording), library, settings and analytics — light and dark,
 * 360 px and 1280 px wide — written to docs/screenshots/ by the test run (README shows them).
 * Each shot also checks the page does not scroll sideways at that width.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startE2e, type E2eEnv } from '../support/e2e-fixtures.ts';
import { sleep, statusKind, waitForController, waitForRecorder } from '../app/browser-helpers.ts';

const OUT = resolve(import.meta.dirname, '../../docs/screenshots');
const SCHEMES = ['light', 'dark'] as const;
const WIDTHS = [1280, 360] as const;

let env: E2eEnv;
let page: Page;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  env = await startE2e();
  page = await env.context.newPage();
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${env.server.url}/#token=${encodeURIComponent(env.token)}`);
  await waitForRecorder(page);
  await waitForController(page);
});
afterAll(async () => {
  await env?.close();
});

async function shoot(name: string, settle = 250): Promise<string[]> {
  const written: string[] = [];
  for (const colorScheme of SCHEMES) {
    for (const width of WIDTHS) {
      await page.emulateMedia({ colorScheme });
      await page.setViewportSize({ width, height: width === 360 ? 780 : 800 });
      await sleep(settle);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} ${colorScheme} ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
      // Grow the viewport to the page instead of fullPage: fullPage resizes during capture and
      // the live <video> preview then paints black.
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({ width, height: Math.max(height, width === 360 ? 780 : 800) });
      await sleep(settle);
      const file = join(OUT, `${name}-${colorScheme}-${width}.png`);
      await page.screenshot({ path: file });
      written.push(file);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  return written;
}

async function record(seconds: number): Promise<void> {
  await page.getByRole('button', { name: 'Start recording' }).click();
  await page.getByRole('button', { name: 'Stop recording' }).waitFor();
  await sleep(seconds * 1000);
}

describe('screenshots', () => {
  it('recorder, library, settings and analytics in light and dark at 360 and 1280 px', async () => {
    // One finished recording for the library, then shots of a recording in progress.
    await record(2.5);
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('complete');
    await shoot('recorder-complete');
    await record(4);
    const files = await shoot('recorder');
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('complete');

    await page.getByRole('button', { name: 'Library' }).click();
    await page.locator('library-view li').nth(1).waitFor();
    files.push(...(await shoot('library')));
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Save settings' }).waitFor();
    files.push(...(await shoot('settings')));
    await page.getByRole('button', { name: 'Analytics' }).click();
    await page.getByRole('table').waitFor();
    files.push(...(await shoot('analytics')));
    expect(files).toHaveLength(16);
  });
});
