/**
 * Sign-in: the clear screen when no token is stored (a pasted start-up link signs in; the link
 * opened in the already-open tab signs in too and leaves the address bar), and a
 * token revoked mid-recording — uploads are held with "Sign-in required", recording goes on,
 * and a new token resumes them to a complete, matching video.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { APP_PERMISSIONS, launchBrowser } from '../support/browser.ts';
import { expectServedRecording } from '../support/e2e-fixtures.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { databaseFile } from '../../src/server/paths.ts';
import { SqliteMetadataRepo } from '../../src/server/storage/sqlite-metadata-repo.ts';
import { rotateToken } from '../../src/server/users.ts';
import { readOutbox, recordChunks, savedChunks, statusKind, waitForController, waitForRecorder, waitForSavedChunks } from '../app/browser-helpers.ts';
import { screenshotsDir } from '../support/screenshots.ts';

const SHOTS = screenshotsDir();
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startTestServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Revokes the user's tokens and returns a new one (as `npm run user` would). */
async function rotate(name: string): Promise<string> {
  const repo = new SqliteMetadataRepo(databaseFile(server.dataDir));
  try {
    return await rotateToken(repo, name, Date.now());
  } finally {
    await repo.close();
  }
}

describe('sign-in', () => {
  it('shows a sign-in screen without a token; pasting the start-up link signs in', async () => {
    const token = await server.createUser('paste');
    const context = await browser.newContext({ permissions: APP_PERMISSIONS });
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.setViewportSize({ width: 360, height: 720 });
      await page.getByRole('heading', { name: 'Sign in to Outbox Recorder' }).waitFor();
      await page.screenshot({ path: join(SHOTS, 'sign-in-light-360.png') });
      expect(await page.getByRole('button', { name: 'Start recording' }).count()).toBe(0);
      await page.getByLabel('Sign-in link or token').fill('not-a-valid-token');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('The server refused this token').waitFor();
      await page.getByLabel('Sign-in link or token').fill(`${server.url}/#token=${token}`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await waitForRecorder(page);
    } finally {
      await context.close();
    }
  });

  it('signs in when the start-up link is opened in the already-open tab (hashchange), and the token leaves the address bar and history', async () => {
    const token = await server.createUser('hashchange');
    const context = await browser.newContext({ permissions: APP_PERMISSIONS });
    try {
      const page = await context.newPage();
      await page.goto(server.url);
      await page.getByRole('heading', { name: 'Sign in to Outbox Recorder' }).waitFor();
      const before = await page.evaluate(() => history.length);
      // What the browser does when the same origin's link is pasted into this tab: only the fragment changes.
      await page.evaluate((t) => (location.hash = `#token=${t}`), token);
      await waitForRecorder(page);
      expect(page.url()).not.toContain('token');
      expect(new URL(page.url()).hash).toBe('#/record');
      // Back does not bring the token back either.
      expect(await page.evaluate(() => history.length)).toBe(before + 1);
      await page.goBack();
      expect(page.url()).not.toContain('token');
    } finally {
      await context.close();
    }
  });

  it('holds uploads when the token is revoked mid-recording and resumes them with a new one', async () => {
    const token = await server.createUser('revoked');
    const context = await browser.newContext({ permissions: APP_PERMISSIONS });
    try {
      const page = await context.newPage();
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.goto(`${server.url}/#token=${token}`);
      await waitForRecorder(page);
      await waitForController(page);
      await recordChunks(page, 1);
      const fresh = await rotate('revoked');

      await page.getByRole('heading', { name: 'Sign in again to keep uploading' }).waitFor({ timeout: 15_000 });
      await expect.poll(() => statusKind(page)).toBe('auth-required');
      await page.screenshot({ path: join(SHOTS, 'sign-in-required-light-1280.png') });
      // Recording is not interrupted by the refusal.
      expect(await page.getByRole('button', { name: 'Stop recording' }).isEnabled()).toBe(true);
      // Chunks keep being saved while uploads are held.
      await waitForSavedChunks(page, (await savedChunks(page)) + 1);
      await page.getByRole('button', { name: 'Stop recording' }).click();
      await page.getByRole('button', { name: 'Start recording' }).waitFor();
      const [held] = await readOutbox(page);
      expect(held!.chunkStates.uploaded ?? 0).toBeLessThan(held!.chunkCount);

      await page.getByLabel('Sign-in link or token').fill(fresh);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('complete');
      expect(await page.getByRole('heading', { name: 'Sign in again to keep uploading' }).count()).toBe(0);

      const [local] = await readOutbox(page);
      await expectServedRecording(server, fresh, local!.id, local!);
    } finally {
      await context.close();
    }
  });
});
