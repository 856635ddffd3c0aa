/**
 * Installable PWA: Chromium's own installability check (DevTools `Page.getInstallabilityErrors`)
 * finds nothing to object to, and after one visit the app shell starts with the server gone.
 * Runs in a persistent profile: off-the-record contexts always report `in-incognito`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPersistent, type PersistentBrowser } from '../support/browser.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { waitForController, waitForRecorder } from '../app/browser-helpers.ts';

let server: TestServer;
let browser: PersistentBrowser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchPersistent();
});
afterAll(async () => {
  await browser?.dispose();
  await server?.stop();
});

describe('installable app', () => {
  it('has no installability errors and a manifest with 192, 512 and maskable icons', async () => {
    const token = await server.createUser('installer');
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${server.url}/#token=${encodeURIComponent(token)}`);
    await waitForRecorder(page);
    await waitForController(page);
    const cdp = await browser.context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    expect(installabilityErrors).toEqual([]);
    const manifest = await cdp.send('Page.getAppManifest');
    expect(manifest.errors).toEqual([]);
    const parsed = JSON.parse(manifest.data ?? '{}') as { icons: { sizes: string; purpose?: string }[]; display: string };
    expect(parsed.display).toBe('standalone');
    expect(parsed.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    expect(parsed.icons.some((i) => i.purpose === 'maskable')).toBe(true);
    await cdp.detach();
  });

  it('starts with the server stopped (the worker serves the shell), offline-first', async () => {
    const page = browser.context.pages()[0]!;
    await server.stop();
    await page.reload();
    await waitForRecorder(page);
    // Signed in with the stored token, even though it cannot be checked now.
    expect(await page.getByRole('button', { name: 'Library' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Library' }).click();
    await page.getByText('showing the recordings on this device only').waitFor();
  });
});
