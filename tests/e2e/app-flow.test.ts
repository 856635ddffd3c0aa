/**
 * The recording flow around the take, in real Chromium with the fake camera and screen, against
 * a real server: screen + camera composited into the file (the bubble is found in decoded
 * frames), the cancellable countdown and keyboard shortcuts, the tab title and header Stop on
 * another view, `beforeunload` armed only while recording, the notice after a reload
 * mid-recording, and the review panel (link in view at 360 × 740, focused and copied; the take
 * playing from the device with the server stopped; a failed title save said in words).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dialog, Page } from 'playwright-core';
import { e2ePerFile, freshRecorderPerTest, recorderCounts } from '../support/app-page.ts';
import { waitForVideo } from '../support/e2e-fixtures.ts';
import { frameAt, whiteRingScore } from '../support/video-frames.ts';
import { ROUTES } from '../../src/shared/api.ts';
import { BUBBLE_RING, bubbleCircle, cornerPlacement } from '../../src/app/recorder/bubble.ts';
import { deepActiveElement, readOutbox, recordChunks, statusKind, waitForSavedChunks } from '../app/browser-helpers.ts';

const app = e2ePerFile();
const openFresh = freshRecorderPerTest(app);
const freshApp = (viewport = { width: 1280, height: 800 }) => openFresh(viewport);
const recorders = async (page: Page) => (await recorderCounts(page)).recorders;
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'outbox-flow-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Whether a cancellable `beforeunload` would be cancelled (the browser would ask before leaving). */
const unloadArmed = (page: Page) =>
  page.evaluate(() => {
    const e = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(e);
    return e.defaultPrevented;
  });

async function downloadFile(videoId: string): Promise<string> {
  const res = await fetch(`${app.env.server.url}${ROUTES.file(videoId)}`, { headers: { authorization: `Bearer ${app.env.token}` } });
  expect(res.status).toBe(200);
  const file = join(tmp, `${videoId}.webm`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  return file;
}

describe('recording flow', () => {
  it('screen + camera: the uploaded file shows the camera bubble, where the user moved it mid-recording; the default title says what and when', async () => {
    const { page } = await freshApp();
    await page.getByRole('radio', { name: 'Screen + camera' }).check();
    const bubble = page.getByRole('button', { name: /^Camera bubble/ });
    await bubble.locator('video').waitFor();
    await recordChunks(page, 1);
    // Pressing the bubble sends it to the next corner (bottom-right → bottom-left), mid-recording.
    await bubble.click();
    const chunksAfterMove = (await readOutbox(page))[0]!.chunkCount + 2;
    await waitForSavedChunks(page, chunksAfterMove);
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('complete');

    const [local] = await readOutbox(page);
    const video = await waitForVideo(app.env.server, app.env.token, local!.id);
    expect(video.title).toMatch(/^Screen \+ camera recording — \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$/);
    const file = await downloadFile(video.videoId);

    const early = frameAt(file, 1);
    const late = frameAt(file, 'last');
    const ringAt = (f: typeof early, corner: 'bottom-right' | 'bottom-left') => {
      const c = bubbleCircle(f.width, f.height, cornerPlacement(f.width, f.height, corner));
      // Halfway through the ring's width: inside the bubble's white border.
      return whiteRingScore(f, c.cx, c.cy, c.r - c.r * BUBBLE_RING);
    };
    expect(ringAt(early, 'bottom-right')).toBeGreaterThanOrEqual(0.9);
    expect(ringAt(early, 'bottom-left')).toBeLessThan(0.2);
    expect(ringAt(late, 'bottom-left')).toBeGreaterThanOrEqual(0.9);
    expect(ringAt(late, 'bottom-right')).toBeLessThan(0.2);
  });

  it('countdown: 3-2-1 shown; Cancel and Escape record nothing; the shown shortcuts start, pause and stop', async () => {
    const { page } = await freshApp();
    await expect.poll(() => page.getByRole('meter', { name: 'Microphone level' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Start recording' }).click();
    await page.getByRole('timer', { name: 'Recording starts in 3' }).waitFor();
    // The tab title follows the countdown in its own render; under load it may already say 2.
    await expect.poll(() => page.title()).toMatch(/^Starting in [1-3]… — Outbox Recorder$/);
    await page.getByRole('button', { name: /^Cancel/ }).click();
    await page.getByText('Countdown cancelled. Nothing was recorded.').waitFor();

    await page.getByRole('button', { name: 'Start recording' }).click();
    await page.getByRole('timer', { name: /Recording starts in/ }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Start recording' }).waitFor();
    expect(await readOutbox(page)).toEqual([]);
    expect(await recorders(page)).toBe(0);
    expect(await unloadArmed(page)).toBe(false);

    const keys = await page.getByRole('definition').allInnerTexts();
    expect(keys).toEqual(['Start / stop', 'Pause / resume', 'Cancel the countdown']);
    expect(await page.locator('recorder-view kbd').allInnerTexts()).toEqual(['Alt+Shift+R', 'Alt+Shift+P', 'Esc']);
    await page.keyboard.press('Alt+Shift+KeyR');
    await page.getByRole('button', { name: 'Stop recording' }).waitFor({ timeout: 20_000 });
    await page.keyboard.press('Alt+Shift+KeyP');
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await expect.poll(() => page.title()).toMatch(/^❚❚ PAUSED 0:\d\d — Outbox Recorder$/);
    await page.keyboard.press('Alt+Shift+KeyP');
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await waitForSavedChunks(page, 1);
    await page.keyboard.press('Alt+Shift+KeyR');
    await page.getByRole('heading', { name: /^Recording saved/ }).waitFor({ timeout: 20_000 });
    expect(await recorders(page)).toBe(1);
    expect((await readOutbox(page)).length).toBe(1);
  });

  it('while recording: "● REC m:ss" tab title, a header Stop on every view, beforeunload armed only then', async () => {
    const { page } = await freshApp();
    // Views load when first shown (a first visit downloads the recorder only), so the title
    // follows the view's first render: poll it.
    await expect.poll(() => page.title()).toBe('Record — Outbox Recorder');
    expect(await unloadArmed(page)).toBe(false);
    await recordChunks(page, 1);
    // m:ss — a loaded machine may take ten seconds or more to deliver the first chunk.
    await expect.poll(() => page.title()).toMatch(/^● REC \d+:\d\d — Outbox Recorder$/);
    expect(await unloadArmed(page)).toBe(true);

    await page.getByRole('button', { name: 'Library' }).click();
    expect(new URL(page.url()).hash).toBe('#/library');
    const rec = page.getByRole('group', { name: 'Recording in progress' });
    await expect.poll(() => rec.getByTestId('header-rec').innerText()).toMatch(/^REC 0:\d\d$/);
    await expect.poll(() => page.title()).toMatch(/^● REC /);
    await rec.getByRole('button', { name: 'Stop', exact: true }).click();
    await rec.waitFor({ state: 'detached' });
    // The title and the beforeunload listener follow the shell's next update after the stop.
    await expect.poll(() => page.title()).toBe('Library — Outbox Recorder');
    await expect.poll(() => unloadArmed(page)).toBe(false);
    await expect.poll(async () => (await readOutbox(page))[0]?.state, { timeout: 30_000 }).toMatch(/stopped|complete/);
  });

  it('a reload mid-recording asks first, then says "Your last recording was interrupted — m:ss saved" and reviews it', async () => {
    const { page } = await freshApp();
    await recordChunks(page, 2);
    // "Asks first": a cancellable beforeunload is cancelled. Whether Chromium then shows its
    // dialog is the browser's policy (it may suppress it, e.g. without a fresh user activation),
    // so the test accepts the dialog if one comes rather than waiting for it.
    expect(await unloadArmed(page)).toBe(true);
    const accept = (d: Dialog) => void d.accept();
    page.on('dialog', accept);
    await page.reload();
    page.off('dialog', accept);
    const notice = page.getByTestId('interrupted');
    await notice.waitFor({ timeout: 20_000 });
    // Polled: the notice renders before the saved length it states is read back from the outbox.
    let text = '';
    await expect
      .poll(async () => (text = await notice.innerText()), { timeout: 10_000 })
      .toMatch(/Your last recording was interrupted — 0:\d\d saved/);
    expect(Number(/0:(\d\d) saved/.exec(text)![1]), text).toBeGreaterThanOrEqual(3); // two 2-second chunks were saved
    await notice.getByRole('button', { name: 'Review it' }).click();
    await page.getByRole('heading', { name: /^Recording saved · 0:0\d$/ }).waitFor();
    await page.getByLabel('Play the recording from this device').waitFor();
    await expect.poll(() => notice.count()).toBe(0);
  });

  // Last: it stops the shared server.
  it('after Stop at 360 × 740: the link is in view, focused and copied; the take plays from the device with the server stopped; a failed title save says why', async () => {
    const { page } = await freshApp({ width: 360, height: 740 });
    await recordChunks(page, 2);
    // The server knows the recording (its link exists) before it goes away.
    await expect.poll(async () => (await waitForVideo(app.env.server, app.env.token, (await readOutbox(page))[0]!.id, () => true)).videoId).toBeTruthy();
    await app.env.stopServer();
    await page.getByRole('button', { name: 'Stop recording' }).click();

    const link = page.getByRole('textbox', { name: 'Link to this recording' });
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(/\/s\/[A-Za-z0-9_-]+$/);
    const box = (await link.boundingBox())!;
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.y + box.height).toBeLessThanOrEqual(740);
    await expect.poll(async () => (await deepActiveElement(page))?.id).toBe('link');
    await page.getByText('Link copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);

    const player = page.getByLabel('Play the recording from this device');
    const played = await player.evaluate(async (v: HTMLVideoElement) => {
      v.muted = true;
      await v.play();
      // Bounded: a take that never plays fails here with its own message, not at the test timeout.
      await new Promise<void>((resolve, reject) => {
        const deadline = performance.now() + 15_000;
        const check = () => {
          if (v.currentTime > 0.5) resolve();
          else if (performance.now() > deadline) reject(new Error(`the take did not play past 0.5 s in 15 s (currentTime ${v.currentTime}, readyState ${v.readyState})`));
          else requestAnimationFrame(check);
        };
        check();
      });
      return { src: v.currentSrc, t: v.currentTime };
    });
    expect(played.src).toMatch(/^blob:/);

    const title = page.getByLabel('Title');
    await expect.poll(() => title.inputValue()).toMatch(/^Camera recording — \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$/);
    await title.fill('Quarterly demo');
    await page.getByRole('button', { name: 'Save title' }).click();
    await page.getByRole('alert').filter({ hasText: 'The title could not be saved: the server cannot be reached.' }).waitFor();
  });
});
