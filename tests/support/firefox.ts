/**
 * Launches this machine's Debian Firefox ESR through puppeteer-core over WebDriver BiDi (never a
 * downloaded browser; Playwright cannot drive a stock Firefox). Fake camera and microphone, no
 * permission prompts. `navigator.storage.persist()` still opens its prompt in Firefox; the app
 * never waits on it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const FIREFOX_PATH = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';

export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // No calls home from a machine without internet access.
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
};

export interface FirefoxSession {
  browser: Browser;
  /** The profile directory, kept across relaunch() so the outbox (IndexedDB) and the worker stay. */
  profileDir: string;
  /** Closes the browser (every tab and the service worker die) and starts it again on the same profile. */
  relaunch(): Promise<Browser>;
  close(): Promise<void>;
}

export async function launchFirefox(): Promise<FirefoxSession> {
  const profileDir = mkdtempSync(join(tmpdir(), 'outbox-firefox-'));
  const launch = () =>
    puppeteer.launch({
      browser: 'firefox',
      protocol: 'webDriverBiDi',
      executablePath: FIREFOX_PATH,
      headless: true,
      userDataDir: profileDir,
      extraPrefsFirefox: FIREFOX_PREFS,
    });
  const session: FirefoxSession = {
    browser: await launch(),
    profileDir,
    async relaunch() {
      await session.browser.close();
      session.browser = await launch();
      return session.browser;
    },
    async close() {
      await session.browser.close().catch(() => {});
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
  return session;
}

/**
 * Waits until `fn` returns true in the page, polling; throws with `what` after `timeoutMs`. A
 * function, never a string: a string is eval'd in the page, which the app's CSP refuses.
 */
export async function waitInPage(page: Page, fn: () => boolean, timeoutMs: number, what: string): Promise<void> {
  try {
    await page.waitForFunction(fn, { timeout: timeoutMs, polling: 200 });
  } catch (e) {
    throw new Error(`${what}: not within ${timeoutMs} ms (${String(e).slice(0, 200)})`);
  }
}
