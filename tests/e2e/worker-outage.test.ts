/**
 * No give-up after a long outage, in real Chromium: the server process is killed -9 while the
 * user records and comes back OUTAGE_S seconds later (default 40 s: longer than the 31 s the
 * five attempts 1+2+4+8+16 s used to last plus the 8 s recorded into the outage, so every chunk
 * exhausts those attempts and the old code leaves the video `open` for ever; the 60 s is
 * OUTAGE_S=60). Recording stops during the outage, so no new chunk's success can re-arm the
 * waiting ones: only the capped backoff (45 s ± 10 %) brings them back. The video must then
 * complete byte-identical within RECOVERY_S (60 s) of the server's return, with no click.
 *
 * Both ways a user lives through it share ONE outage (it is most of this file's time): two
 * separate browser contexts (each its own storage, service worker and outbox) record at once;
 * in one the recorder tab stays open, in the other every tab is closed during the outage, so
 * only that context's worker can finish the upload.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  localRecording,
  openRecorder,
  pipelineLog,
  serverVideo,
  startFaultEnv,
  startRecording,
  statusKind,
  stopRecording,
  waitServerComplete,
  type FaultEnv,
} from './support/fault-matrix.ts';
import { expectServedRecording, logEvents } from '../support/e2e-fixtures.ts';
import { APP_PERMISSIONS } from '../support/browser.ts';
import { countMediaRecorders } from '../support/app-page.ts';
import { readOutbox } from '../app/browser-helpers.ts';

const OUTAGE_MS = Number(process.env.OUTAGE_S ?? 40) * 1000;
const RECOVERY_MS = Number(process.env.RECOVERY_S ?? 60) * 1000;
/** Recorded into the outage, so chunks wait in the outbox (and the worker has work when tabs close). */
const INTO_OUTAGE_MS = 8000;
const TEST_TIMEOUT = OUTAGE_MS + RECOVERY_MS + 120_000;

let env: FaultEnv | null = null;
afterEach(async () => {
  await env?.close(); // closes the browser, and the second context with it
  env = null;
});

const until = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));

/** A second context on the environment's browser, prepared as startFaultEnv prepares its own. */
async function secondContext(e: FaultEnv, lines: string[]): Promise<BrowserContext> {
  const context = await e.browser!.newContext({ permissions: APP_PERMISSIONS, bypassCSP: false, serviceWorkers: 'allow' });
  context.on('console', (m) => lines.push(m.text()));
  await context.addInitScript(countMediaRecorders);
  return context;
}

/** Starts a recording and waits until the server holds a chunk of it (the uploads work before the kill). */
async function recordUntilUploading(e: FaultEnv, page: Page): Promise<string> {
  const id = await startRecording(page);
  await expect.poll(async () => (await serverVideo(e, id))?.receivedChunks ?? 0, { timeout: 45_000 }).toBeGreaterThanOrEqual(1);
  return id;
}

/** stopRecording, naming the context and what its recorder card shows if it does not stop. */
async function stopped(page: Page, which: string): Promise<void> {
  try {
    await stopRecording(page);
  } catch (err) {
    const card = await page.locator('.card.controls').innerText({ timeout: 2000 }).catch((e: unknown) => String(e));
    throw new Error(`${which}: the recorder did not stop (${String(err)}); its controls show: ${card}`);
  }
}

describe('long server outage (kill -9 for OUTAGE_S), real Chromium', () => {
  it(
    'completes byte-identical within 60 s of the server\'s return with no click, with the tab open (the UI says it waits and when it tries next) and with every tab closed during the outage',
    async () => {
      env = await startFaultEnv({ serverProcess: true });
      const e = env;
      const closedLines: string[] = [];
      const closedContext = await secondContext(e, closedLines);
      const openPage = await openRecorder(e);
      const closedPage = await openRecorder(e, closedContext);
      const [openId, closedId] = await Promise.all([recordUntilUploading(e, openPage), recordUntilUploading(e, closedPage)]);

      await e.process!.kill('SIGKILL');
      const killedAt = Date.now();
      // Recording goes on into the outage; its chunks wait in the outbox.
      await until(killedAt + INTO_OUTAGE_MS);
      await Promise.all([stopped(openPage, 'tab-open'), stopped(closedPage, 'tabs-closed')]);

      // Every tab of the second context closed while the server is down.
      const closedLocal = await localRecording(closedPage, closedId);
      await closedPage.close();
      expect(closedContext.pages(), 'tabs-closed context has no page').toHaveLength(0);

      // Tab open: the attempts run out during the outage, shown as waiting for the server, never given up.
      await expect.poll(() => statusKind(openPage), { timeout: OUTAGE_MS }).toBe('waiting-server');
      const countdown = await openPage.getByTestId('next-try').innerText();
      expect(countdown).toMatch(/^— (next try in \d+ s|trying now)$/);
      await openPage.getByRole('button', { name: 'Retry now' }).waitFor({ state: 'visible', timeout: 5000 });
      const during = (await readOutbox(openPage)).find((r) => r.id === openId)!;
      expect(during.chunkStates.failed ?? 0).toBeGreaterThan(0);

      await until(killedAt + OUTAGE_MS);
      const closedMark = closedLines.length;
      await e.process!.restart();
      const backAt = Date.now();
      const recovered = async (id: string) => {
        const video = await waitServerComplete(e, id, RECOVERY_MS);
        return { video, ms: Date.now() - backAt };
      };
      const [open, closed] = await Promise.all([recovered(openId), recovered(closedId)]);

      // Tab open: byte-identical, every index once, the UI says complete, and the 5 attempts did run out.
      const openLocal = await localRecording(openPage, openId);
      // sha256 follows completion; this waits for it and checks it against the outbox.
      await expectServedRecording(e.server, e.token, openId, openLocal);
      expect(open.video.receivedChunks).toBe(openLocal.indices.length);
      expect(open.video.chunks).toEqual([[0, openLocal.indices.length - 1]]);
      await expect.poll(() => statusKind(openPage), { timeout: 15_000 }).toBe('complete');
      const log = pipelineLog(e, [openId]);
      const exhausted = logEvents(e.console, 'chunk-retry').filter((x) => x.recordingId === openId && x.exhausted === true).length;
      expect(exhausted).toBeGreaterThan(0);

      // Every tab closed: done by that context's worker alone, still with no page open.
      await expectServedRecording(e.server, e.token, closedId, closedLocal);
      expect(closed.video.chunks).toEqual([[0, closedLocal.indices.length - 1]]);
      expect(closedContext.pages(), 'tabs-closed context has no page').toHaveLength(0);

      const down = ((backAt - killedAt) / 1000).toFixed(1);
      console.info(
        `[outage] tab open: ${openLocal.indices.length} chunks / ${openLocal.bytes} B; server down ${down} s; ` +
          `complete ${(open.ms / 1000).toFixed(1)} s after its return; ${log.chunkRetries} chunk retries (${exhausted} after the 5 attempts), ${log.opRetries} op retries; no click`,
      );
      // What woke the closed context's upload after the return: the reasons its worker logged.
      const since = closedLines.slice(closedMark);
      const closedExhausted = logEvents(closedLines, 'chunk-retry').filter((x) => x.recordingId === closedId && x.exhausted === true).length;
      const wakes = [
        ...logEvents(closedLines, 'sync-event').map((x) => `sync:${String(x.tag)}`),
        ...logEvents(since, 're-armed').map((x) => `re-armed:${String(x.why)}`),
        ...logEvents(since, 'drain-ended').map((x) => `drain-ended:${String(x.reason)}`),
      ];
      console.info(
        `[outage] every tab closed: ${closedLocal.indices.length} chunks; server down ${down} s; ` +
          `complete ${(closed.ms / 1000).toFixed(1)} s after its return with no page open (${closedExhausted} retries logged after the 5 attempts); worker events: ${[...new Set(wakes)].join(', ') || 'none logged'}`,
      );
    },
    TEST_TIMEOUT,
  );
});
