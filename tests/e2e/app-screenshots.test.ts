/**
 * Screenshots of every view and state — the recorder before Start (camera bubble over the screen
 * placeholder), the countdown, recording screen + camera, the review panel, the interrupted
 * notice, the library, and settings with the upload history — light and dark, 360 px and 1280 px
 * wide. Written to SCREENSHOTS_DIR (default test-results/screenshots, ignored by git; `npm run
 * screenshots` writes docs/screenshots on purpose). Each shot also checks the page does not
 * scroll sideways at that width.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startE2e, type E2eEnv } from '../support/e2e-fixtures.ts';
import { screenshotsDir } from '../support/screenshots.ts';
import { recordChunks, statusKind, waitForController, waitForRecorder, waitForSavedChunks } from '../app/browser-helpers.ts';

const SCHEMES = ['light', 'dark'] as const;
const WIDTHS = [1280, 360] as const;

let env: E2eEnv;
let page: Page;
let out: string;

beforeAll(async () => {
  out = screenshotsDir();
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

/** Resolves after the next two painted frames (layout and paint of a resize are done). */
const painted = () => page.evaluate(() => new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r()))));

async function shoot(name: string, opts: { schemes?: readonly ('light' | 'dark')[]; fullHeight?: boolean } = {}): Promise<string[]> {
  const written: string[] = [];
  for (const colorScheme of opts.schemes ?? SCHEMES) {
    for (const width of WIDTHS) {
      const base = width === 360 ? 740 : 800;
      await page.emulateMedia({ colorScheme });
      await page.setViewportSize({ width, height: base });
      await painted();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} ${colorScheme} ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
      if (opts.fullHeight ?? true) {
        // Grow the viewport to the page instead of fullPage: fullPage resizes during capture and
        // the live <video> preview then paints black.
        const height = await page.evaluate(() => document.documentElement.scrollHeight);
        await page.setViewportSize({ width, height: Math.max(height, base) });
        await painted();
      }
      const file = join(out, `${name}-${colorScheme}-${width}.png`);
      await page.screenshot({ path: file });
      written.push(file);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  return written;
}

describe('screenshots', () => {
  it('every view and recorder state in light and dark at 360 and 1280 px', async () => {
    const files: string[] = [];
    await page.getByRole('radio', { name: 'Screen + camera' }).check();
    await page.getByRole('button', { name: /^Camera bubble/ }).locator('video').waitFor();
    files.push(...(await shoot('recorder-ready')));

    // The countdown lasts 3 s: one scheme, both widths, no full-height resize.
    await page.getByRole('button', { name: 'Start recording' }).click();
    await page.getByRole('timer', { name: /Recording starts in/ }).waitFor();
    files.push(...(await shoot('recorder-countdown', { schemes: ['dark'], fullHeight: false })));
    await page.getByRole('button', { name: 'Stop recording' }).waitFor({ timeout: 20_000 });
    await waitForSavedChunks(page, 1);
    await expect.poll(() => statusKind(page), { timeout: 20_000 }).toBe('recording');
    files.push(...(await shoot('recorder-recording')));
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await page.getByRole('textbox', { name: 'Link to this recording' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('complete');
    files.push(...(await shoot('recorder-review')));

    // A take cut off by a reload: the notice on the next start.
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('radio', { name: 'Camera', exact: true }).check();
    await recordChunks(page, 1);
    page.once('dialog', (d) => void d.accept());
    await page.reload();
    await page.getByTestId('interrupted').waitFor({ timeout: 20_000 });
    files.push(...(await shoot('interrupted')));
    await page.getByRole('button', { name: 'Dismiss' }).click();

    await page.getByRole('button', { name: 'Library' }).click();
    await page.locator('library-view li').nth(1).waitFor();
    files.push(...(await shoot('library')));
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Upload history', exact: true }).waitFor();
    await page.getByRole('table').waitFor();
    files.push(...(await shoot('settings')));
    expect(files).toHaveLength(6 * 4 + 2);
  });
});
