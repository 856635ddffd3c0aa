/**
 * Views with URLs in real Chromium: each view has its own `#/…` address, reload keeps the view,
 * Back and Forward move between views, the old Analytics address opens Settings (where it lives
 * as "Upload history"), and each view has exactly one h1.
 */
import { describe, expect, it } from 'vitest';
import { e2ePerFile } from '../support/app-page.ts';
import { waitForController, waitForRecorder } from '../app/browser-helpers.ts';

const app = e2ePerFile({ recorderPage: true });

/** The current view: the nav button marked as the current page, and the h1s rendered. */
async function shown(): Promise<{ hash: string; current: string; h1: string[] }> {
  const current = await app.page.locator('nav button[aria-current="page"]').innerText();
  const h1 = await app.page.getByRole('heading', { level: 1 }).allInnerTexts();
  return { hash: new URL(app.page.url()).hash, current, h1 };
}

describe('navigation', () => {
  it('gives each view a URL; reload keeps it; Back and Forward move between views; one h1 per view', async () => {
    expect(await shown()).toEqual({ hash: '', current: 'Record', h1: ['Record a video'] });
    await app.page.getByRole('button', { name: 'Library' }).click();
    expect(await shown()).toEqual({ hash: '#/library', current: 'Library', h1: ['Your recordings'] });
    await app.page.getByRole('button', { name: 'Settings' }).click();
    expect(await shown()).toEqual({ hash: '#/settings', current: 'Settings', h1: ['Settings and upload history'] });
    await app.page.getByRole('heading', { name: 'Upload history', exact: true }).waitFor();

    await app.page.reload();
    await app.page.getByRole('button', { name: 'Save settings' }).waitFor();
    expect(await shown()).toEqual({ hash: '#/settings', current: 'Settings', h1: ['Settings and upload history'] });

    await app.page.goBack();
    await expect.poll(async () => (await shown()).current).toBe('Library');
    expect((await shown()).hash).toBe('#/library');
    await app.page.goBack();
    await expect.poll(async () => (await shown()).current).toBe('Record');
    await app.page.goForward();
    await expect.poll(async () => (await shown()).current).toBe('Library');
  });

  it('opens Settings for the old Analytics address', async () => {
    await app.page.goto(`${app.env.server.url}/#/analytics`);
    await app.page.getByRole('heading', { name: 'Upload history', exact: true }).waitFor();
    expect((await shown()).current).toBe('Settings');
  });
});
