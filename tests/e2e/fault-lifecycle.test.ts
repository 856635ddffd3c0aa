/**
 * Fault matrix, browser lifecycle: the tab closed right after stop with chunks still
 * pending (no page open until the server holds the video), and the browser process killed
 * mid-upload then relaunched on the same profile. A slow proxy link keeps chunks pending.
 * Durations scale with FAULT_SCALE (see support/fault-matrix.ts).
 */
import { describe, expect, it } from 'vitest';
import { FAULT_SCALE, faultEnvPerTest, localRecording, openRecorder, scaled, serverVideo, sleep, startRecording, stopRecording, verifyCase, waitingChunks, waitServerComplete } from './support/fault-matrix.ts';

/** The fake camera records ~80-100 KB/s; 25 KB/s keeps most chunks pending while recording. */
const SLOW_BPS = 25_000;
/** Tab closed: 10 KB/s lets hardly a chunk leave before the tab closes. */
const CRAWL_BPS = 10_000;
/** The issue asks for ≥ 10 pending at close; a CI-length recording (8 s, ~4 chunks) has fewer in all. */
const MIN_PENDING = FAULT_SCALE >= 4 ? 10 : 3;

const startEnv = faultEnvPerTest();

describe('fault matrix: browser lifecycle', () => {
  it('tab closed: page closed right after stop with chunks pending; no page open until done', async () => {
    const env = await startEnv();
    const page = await openRecorder(env);
    const startedAt = Date.now();
    env.proxy.set({ bandwidthBps: CRAWL_BPS });
    const id = await startRecording(page);
    await sleep(scaled(8));
    await stopRecording(page);
    const atClose = await localRecording(page, id);
    expect(waitingChunks(atClose)).toBeGreaterThanOrEqual(MIN_PENDING);
    await page.close();
    expect(env.context.pages()).toHaveLength(0);
    env.proxy.set({ bandwidthBps: null });

    const closedAt = Date.now();
    await waitServerComplete(env, id, 60_000);
    const afterClose = Date.now() - closedAt;
    // Done by the worker alone: still no page of the app.
    expect(env.context.pages()).toHaveLength(0);

    const again = await openRecorder(env);
    await verifyCase(env, {
      case: 'tab-closed',
      fault: `tab closed right after stop with ${waitingChunks(atClose)} of ${atClose.indices.length} chunks pending; no page until done`,
      startedAt,
      page: again,
      recordingIds: [id],
      library: true,
      notes: `server complete ${(afterClose / 1000).toFixed(1)} s after the tab closed, no page open`,
    });
  });

  it('browser crash: browser process killed mid-upload, relaunched on the same profile, resumes', async () => {
    const env = await startEnv({ persistent: true });
    const page = await openRecorder(env);
    const startedAt = Date.now();
    env.proxy.set({ bandwidthBps: SLOW_BPS });
    const id = await startRecording(page);
    await sleep(scaled(8));
    await stopRecording(page);
    // Mid-upload: the server holds some of it, not all.
    await expect.poll(async () => (await serverVideo(env, id))?.receivedChunks ?? 0, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    const atKill = await localRecording(page, id);
    expect(waitingChunks(atKill)).toBeGreaterThanOrEqual(2);
    await env.killBrowser();
    const heldAtKill = (await serverVideo(env, id))!.receivedChunks;
    expect(heldAtKill).toBeLessThan(atKill.indices.length);
    env.proxy.set({ bandwidthBps: null });

    await env.relaunch();
    const again = await openRecorder(env);
    await verifyCase(env, {
      case: 'browser-crash',
      fault: `browser SIGKILLed mid-upload (${heldAtKill}/${atKill.indices.length} chunks on the server), relaunched on the same profile`,
      startedAt,
      page: again,
      recordingIds: [id],
      library: true,
      notes: `${atKill.indices.length - heldAtKill} chunks not on the server when the browser died`,
    });
  });
});
