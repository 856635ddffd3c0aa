/**
 * Launches this machine's Debian Chromium through playwright-core (never a downloaded browser).
 * Flags from ../shared/DESIGN.md "Browser tests": background networking off (the machine has no
 * internet), fake camera and auto-accepted capture prompts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type LaunchOptions } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--auto-select-desktop-capture-source=Entire screen',
  '--auto-accept-this-tab-capture',
];

/** Permissions to grant; Browser.grantPermissions denies every one not listed. */
export const APP_PERMISSIONS = ['camera', 'microphone', 'background-sync', 'clipboard-read', 'clipboard-write'];

export async function launchBrowser(opts: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true, ...opts });
}

export interface PersistentBrowser {
  context: BrowserContext;
  userDataDir: string;
  close(): Promise<void>;
  /** Closes the browser and removes the profile directory. */
  dispose(): Promise<void>;
}

/**
 * A persistent profile (needed for installability checks and browser-restart tests).
 * Pass the same userDataDir again to relaunch on the same profile.
 */
export async function launchPersistent(userDataDir?: string, baseURL?: string): Promise<PersistentBrowser> {
  const dir = userDataDir ?? mkdtempSync(join(tmpdir(), 'outbox-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    permissions: APP_PERMISSIONS,
    ...(baseURL ? { baseURL } : {}),
  });
  return {
    context,
    userDataDir: dir,
    close: () => context.close(),
    dispose: async () => {
      await context.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
