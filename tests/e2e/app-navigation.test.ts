/**
 * Views with URLs in real Chromium: each view has its own `#/…` address, reload keeps the view,
 * Back and Forward move between views, the old Analytics address opens Settings (where it lives
 * as "Upload history"), and each view has exactly one h1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startE2e, type E2eEnv } from '../support/e2e-fixtures.ts';
import { waitForController, waitForRecorder } from '../app/browser-helpers.ts';

let env: E2eEnv;
let page: Page;

beforeAll(async () => {
  env = await startE2e();
  page = await env.context.newPage();
  await page.goto(`${env.server.url}/#token=${encodeURIComponent(env.token)}`);
  await waitForRecorder(page);
  await waitForController(page);
});
afterAll(async () => {
  await env?.close();
});

/** The current view: the nav button marked as the current page, and the h1s rendered. */
async function shown(): Promise<{ hash: string; current: string; h1: string[] }> {
  const current = await page.locator('nav button[aria-current="page"]').innerText();
  const h1 = await page.getByRole('heading', { level: 1 }).allInnerTexts();
  return { hash: new URL(page.url()).hash, current, h1 };
}

describe('navigation', () => {
  it('gives each view a URL; reload keeps it; Back and Forward move between views; one h1 per view', async () => {
    expect(await shown()).toEqual({ hash: '', current: 'Record', h1: ['Record a video'] });
    await page.getByRole('button', { name: 'Library' }).click();
    expect(await shown()).toEqual({ hash: '#/library', current: 'Library', h1: ['Your recordings'] });
    await page.getByRole('button', { name: 'Settings' }).click();
    expect(await shown()).toEqual({ hash: '#/settings', current: 'Settings', h1: ['Settings and upload history'] });
    await page.getByRole('heading', { name: 'Upload history', exact: true }).waitFor();

    await page.reload();
    await page.getByRole('button', { name: 'Save settings' }).waitFor();
    expect(await shown()).toEqual({ hash: '#/settings', current: 'Settings', h1: ['Settings and upload history'] });

    await page.goBack();
    await expect.poll(async () => (await shown()).current).toBe('Library');
    expect((await shown()).hash).toBe('#/library');
    await page.goBack();
    await expect.poll(async () => (await shown()).current).toBe('Record');
    await page.goForward();
    await expect.poll(async () => (await shown()).current).toBe('Library');
  });

  it('opens Settings for the old Analytics address', async () => {
    await page.goto(`${env.server.url}/#/analytics`);
    await page.getByRole('heading', { name: 'Upload history', exact: true }).waitFor();
    expect((await shown()).current).toBe('Settings');
  });
});
