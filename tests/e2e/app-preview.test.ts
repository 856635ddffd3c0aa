/**
 * The live preview while recording screen + camera, in real Chromium with the fake devices: the
 * screen preview must keep receiving frames while the compositor reads the screen. (A <video> of
 * the very track a MediaStreamTrackProcessor reads gets no frames in Chromium: the preview was
 * black for the whole recording until the compositor was given a clone.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startE2e, type E2eEnv } from '../support/e2e-fixtures.ts';
import { APP_PERMISSIONS } from '../support/browser.ts';
import { recordChunks, waitForController, waitForRecorder } from '../app/browser-helpers.ts';

let env: E2eEnv;
beforeAll(async () => {
  env = await startE2e();
});
afterAll(async () => {
  await env?.close();
});

/** The main preview <video> (inside the recorder's shadow roots): its size and whether a new frame arrives. */
function mainPreview(page: Page): Promise<{ width: number; newFrame: boolean } | null> {
  return page.evaluate(async () => {
    const find = (root: Document | ShadowRoot): HTMLVideoElement | null => {
      for (const el of root.querySelectorAll('*')) {
        if (el instanceof HTMLVideoElement && el.classList.contains('main')) return el;
        if (el.shadowRoot) {
          const v = find(el.shadowRoot);
          if (v) return v;
        }
      }
      return null;
    };
    const v = find(document);
    if (!v) return null;
    // One presented frame within a second (bounded: the answer is "no" when none comes).
    const newFrame = await new Promise<boolean>((resolve) => {
      v.requestVideoFrameCallback(() => resolve(true));
      setTimeout(() => resolve(false), 1000);
    });
    return { width: v.videoWidth, newFrame };
  });
}

describe('live preview', () => {
  it('screen + camera: the screen preview shows frames while recording', async () => {
    const context = await env.browser!.newContext({ permissions: APP_PERMISSIONS, viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(`${env.server.url}/#token=${encodeURIComponent(env.token)}`);
      await waitForRecorder(page);
      await waitForController(page);
      await page.getByRole('radio', { name: 'Screen + camera' }).check();
      await page.getByRole('button', { name: /^Camera bubble/ }).locator('video').waitFor();
      await recordChunks(page, 1);
      const showing = async () => {
        const p = await mainPreview(page);
        return p !== null && p.width > 0 && p.newFrame;
      };
      await expect.poll(showing, { timeout: 15_000 }).toBe(true);
      await page.getByRole('button', { name: 'Stop recording' }).click();
    } finally {
      await context.close();
    }
  });
});
