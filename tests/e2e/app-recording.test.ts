/**
 * The recording app in real Chromium with the fake camera, against a real server:
 * record → stop → link; offline mid-recording; a chunk that keeps failing waits for the server, then "Retry now".
 * Recording length scales with E2E_RECORD_SECONDS (default 6): the tests wait until that many
 * seconds' worth of 2-second chunks are saved (a condition, not a sleep).
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { e2ePerFile, freshRecorderPerTest, recorderCounts } from '../support/app-page.ts';
import { expectServedRecording, waitForVideo } from '../support/e2e-fixtures.ts';
import { ROUTES } from '../../src/shared/api.ts';
import { RECORD_SECONDS, progressValue, readOutbox, recordChunks, statusKind, waitForRecorder, waitForSavedChunks } from '../app/browser-helpers.ts';

const app = e2ePerFile();
const freshApp = freshRecorderPerTest(app);
/** `dataavailable` events MediaRecorder fired, counted outside the app (empty ones included: the app stores every one). */
const chunksEmitted = async (page: Page) => (await recorderCounts(page)).dataEvents;

async function serverVideo(recordingId: string) {
  const listed = await waitForVideo(app.env.server, app.env.token, recordingId);
  const res = await fetch(`${app.env.server.url}${ROUTES.video(listed.videoId)}`, { headers: { authorization: `Bearer ${app.env.token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { state: string; videoId: string; totalChunks: number; sha256: string; title: string | null };
}

describe('recording app', () => {
  it('records from the start-up link, stops, shows the share link, and the server file matches the outbox', async () => {
    const { page } = await freshApp();
    // The token left the address bar at once.
    expect(page.url()).not.toContain('token');
    await recordChunks(page, Math.floor(RECORD_SECONDS / 2));
    await page.getByRole('button', { name: 'Stop recording' }).click();

    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('complete');
    expect(await progressValue(page)).toBe('100');
    const shareUrl = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
    expect(shareUrl).toMatch(new RegExp(`^${app.env.server.url}/s/[A-Za-z0-9_-]+$`));
    await expect.poll(() => page.locator('upload-status').getByRole('button', { name: 'Copy link' }).isVisible()).toBe(true);
    // The review panel shows the same link at the top, already copied.
    expect(await page.getByRole('textbox', { name: 'Link to this recording' }).inputValue()).toBe(shareUrl);

    const [local] = await readOutbox(page);
    expect(local).toBeDefined();
    expect(local!.state).toBe('complete');
    expect(local!.indices).toEqual([...Array(local!.chunkCount).keys()]); // gap-free from 0
    expect(local!.totalChunks).toBe(local!.chunkCount);
    expect(local!.chunkCount).toBe(await chunksEmitted(page));
    expect(local!.chunkCount).toBeGreaterThanOrEqual(Math.floor(RECORD_SECONDS / 2));

    const video = await serverVideo(local!.id);
    expect(video.state).toBe('complete');
    expect(video.totalChunks).toBe(local!.chunkCount);
    expect(shareUrl).toContain('/s/');
    expect((await expectServedRecording(app.env.server, app.env.token, local!.id, local!)).video.seekable).toBe(true);
  });

  it('records the screen; pause and resume', async () => {
    const { page } = await freshApp();
    await page.getByRole('radio', { name: 'Screen', exact: true }).check();
    await recordChunks(page, 1);
    const previews = await page.locator('recorder-view video').evaluateAll((vs) => vs.map((v) => v.getAttribute('aria-label')));
    expect(previews).toEqual(['Live preview']);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => statusKind(page)).toBe('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect.poll(() => statusKind(page)).toBe('recording');
    await waitForSavedChunks(page, 2);
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('complete');
    const [local] = await readOutbox(page);
    expect(local!.chunkCount).toBe(await chunksEmitted(page));
    const video = await serverVideo(local!.id);
    expect(video.title).toMatch(/^Screen recording — \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}$/);
    await expectServedRecording(app.env.server, app.env.token, local!.id, local!);
  });

  it('closes a recording cut off by a closed tab on the next start, and uploads what was saved', async () => {
    const { context, page } = await freshApp();
    await recordChunks(page, 2);
    await page.close(); // no stop(): the outbox still says "recording"
    const again = await context.newPage();
    await again.goto(app.env.server.url);
    await waitForRecorder(again);
    await expect.poll(async () => (await readOutbox(again))[0]?.state, { timeout: 30_000 }).toBe('complete');
    const [local] = await readOutbox(again);
    expect(local!.chunkCount).toBeGreaterThanOrEqual(1);
    expect(local!.totalChunks).toBe(local!.chunkCount);
    expect((await serverVideo(local!.id)).state).toBe('complete');
    await expectServedRecording(app.env.server, app.env.token, local!.id, local!);
  });

  it('keeps recording offline: waits for network while chunks pile up, then uploads them and completes', async () => {
    const { context, page } = await freshApp();
    await recordChunks(page, 1);
    await context.setOffline(true);
    await expect.poll(() => statusKind(page)).toBe('waiting-network');
    await expect.poll(() => page.getByTestId('connectivity').innerText()).toBe('Offline');
    const offlineSeconds = Math.max(6, RECORD_SECONDS);
    const before = (await readOutbox(page))[0]!.chunkCount;
    await waitForSavedChunks(page, before + Math.floor(offlineSeconds / 2));
    // Still recording, still saying so, and chunks are waiting in the outbox.
    expect(await statusKind(page)).toBe('waiting-network');
    expect(await page.getByRole('button', { name: 'Stop recording' }).isEnabled()).toBe(true);
    const [during] = await readOutbox(page);
    const waiting = (during!.chunkStates.pending ?? 0) + (during!.chunkStates.uploading ?? 0);
    expect(waiting).toBeGreaterThanOrEqual(Math.floor(offlineSeconds / 2) - 1);

    await context.setOffline(false);
    await waitForSavedChunks(page, during!.chunkCount + 1);
    await page.getByRole('button', { name: 'Stop recording' }).click();
    await expect.poll(() => statusKind(page), { timeout: 40_000 }).toBe('complete');

    const [local] = await readOutbox(page);
    expect(local!.indices).toEqual([...Array(local!.chunkCount).keys()]);
    expect(local!.chunkCount).toBe(await chunksEmitted(page));
    const video = await serverVideo(local!.id);
    expect(video.totalChunks).toBe(local!.chunkCount);
    await expectServedRecording(app.env.server, app.env.token, local!.id, local!);
  });

  it('shows a chunk that spent every attempt as waiting for the server, and "Retry now" completes it', async () => {
    const { context, page } = await freshApp();
    // Short backoff through the Settings form, so five attempts take about 1.5 s.
    await page.getByRole('button', { name: 'Settings' }).click();
    await page.getByLabel('First retry delay').fill('100');
    await page.getByLabel('Attempts per chunk').fill('5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();

    // The server refuses chunk 1 with 500 until the route is removed (the worker's fetches are routed too).
    let hits = 0;
    let failing = true;
    await context.route(/\/api\/v1\/videos\/chunk\?.*\bindex=1\b/, async (route) => {
      if (!failing) return route.continue();
      hits++;
      await route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'internal_error', message: 'injected' } }) });
    });

    await page.getByRole('button', { name: 'Record', exact: true }).click();
    await recordChunks(page, 3);
    await page.getByRole('button', { name: 'Stop recording' }).click();

    await expect.poll(() => statusKind(page), { timeout: 30_000 }).toBe('waiting-server');
    // At least the configured attempts; the other chunks' successes re-arm it too, never given up.
    expect(hits).toBeGreaterThanOrEqual(5);
    const retry = page.getByRole('button', { name: 'Retry now' });
    // The status card re-renders every second (its countdown): wait for the button on it.
    await expect.poll(() => retry.isVisible(), { timeout: 10_000 }).toBe(true);
    expect(Number(await progressValue(page))).toBeLessThan(100);
    // Kept in the outbox as failed-and-waiting (between tries; a try in flight shows `uploading`).
    await expect.poll(async () => (await readOutbox(page))[0]!.chunkStates.failed ?? 0, { timeout: 15_000 }).toBe(1);

    failing = false;
    // Pressed until the status says complete, as a user would: the status card re-renders every
    // second (its countdown) and the preview above it re-lays out as the camera reopens after
    // Stop, so one click can miss; and a press while a try is in flight only re-arms the rest.
    // 25 s is well inside the ~40 s the waiting chunk would sit before its own next try, so only
    // the button can complete it in time.
    await expect
      .poll(async () => {
        if ((await statusKind(page)) !== 'complete') await retry.click({ timeout: 2_000 }).catch(() => undefined);
        return statusKind(page);
      }, { timeout: 25_000, interval: 1_000 })
      .toBe('complete');
    const [local] = await readOutbox(page);
    expect((await serverVideo(local!.id)).state).toBe('complete');
    await expectServedRecording(app.env.server, app.env.token, local!.id, local!);
  });
});
