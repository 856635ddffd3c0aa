/**
 * The app in real Firefox ESR (Debian `firefox-esr`, headless, fake camera), driven by
 * puppeteer-core over WebDriver BiDi: record → upload while recording → complete with the
 * SHA-256 check; an offline spell mid-recording; the tab (and the browser, so the worker too)
 * closed with chunks pending, then the app opened again. Firefox has service workers but no
 * Background Sync: the app must say that uploads continue only while it is open.
 *
 * "Offline": BiDi's offline emulation (page.setOfflineMode) makes the *page* offline
 * (navigator.onLine false) but, measured here, not the service worker's fetches — chunks kept
 * reaching the server. So the network is cut where the worker talks to the server: the app is
 * served through tests/support/fault-proxy.ts, which refuses every connection meanwhile.
 *
 * Knobs: FIREFOX_RECORD_CHUNKS (default 4 two-second chunks, about 8 s), FIREFOX_OFFLINE_S (5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import type { Page as PlaywrightPage } from 'playwright-core';
import type { Page } from 'puppeteer-core';
import { ROUTES, type VideoStatus } from '../../src/shared/api.ts';
import { readOutbox, type LocalRecording } from '../app/browser-helpers.ts';
import { launchFirefox, waitInPage, type FirefoxSession } from '../support/firefox.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { expectServedRecording } from '../support/e2e-fixtures.ts';

const RECORD_CHUNKS = Number(process.env.FIREFOX_RECORD_CHUNKS ?? 4);
const OFFLINE_MS = Number(process.env.FIREFOX_OFFLINE_S ?? 5) * 1000;

let server: TestServer;
let proxy: FaultProxy;
let token: string;
let ff: FirefoxSession;

beforeAll(async () => {
  server = await startTestServer();
  token = await server.createUser(`firefox-${Math.random().toString(36).slice(2, 8)}`);
  proxy = await startFaultProxy({ target: server.url, seed: 7 });
  ff = await launchFirefox();
}, 60_000);

afterAll(async () => {
  await ff?.close();
  await proxy?.close();
  await server?.stop();
});

// readOutbox only calls page.evaluate(fn, arg), which puppeteer's Page offers with the same meaning.
const outbox = (page: Page): Promise<LocalRecording[]> => readOutbox(page as unknown as PlaywrightPage);
const newest = async (page: Page) => (await outbox(page))[0]!;

/** The pages' console (the app's JSON log lines), printed when a test fails. */
const consoleLines: string[] = [];

async function openApp(): Promise<Page> {
  const page = await ff.browser.newPage();
  page.on('console', (m) => void consoleLines.push(m.text()));
  page.on('pageerror', (e) => void consoleLines.push(`pageerror: ${String(e)}`));
  await page.goto(`${proxy.url}/#token=${encodeURIComponent(token)}`);
  await waitText(page, 'Start recording', 30_000);
  await waitInPage(page, () => navigator.serviceWorker.controller !== null, 20_000, 'service worker controls the page');
  return page;
}

/**
 * Waits for an element with this text (shadow roots pierced); on failure a screenshot in the temp
 * dir and the console. Polls: waitForSelector re-checks on DOM mutations of the document only, and
 * the app's components render inside shadow roots, so it would miss a button that appears later.
 */
async function waitText(page: Page, text: string, timeout = 20_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const el = await page.$(`::-p-text(${text})`);
    if (el) return el;
    if (Date.now() > deadline) {
      await page.screenshot({ path: `${tmpdir()}/firefox-${text.replace(/\W+/g, '-')}.png` }).catch(() => undefined);
      throw new Error(`"${text}" not shown within ${timeout} ms\nconsole:\n${consoleLines.slice(-30).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function click(page: Page, text: string): Promise<void> {
  await (await waitText(page, text)).click();
}

const statusText = (page: Page) =>
  page.$eval('>>> upload-status', (el) => (el.shadowRoot?.textContent ?? '').replace(/\s+/g, ' ').trim());
const statusKind = (page: Page) => page.$eval('>>> upload-status >>> [data-status]', (el) => el.getAttribute('data-status'));

async function waitChunks(page: Page, n: number, timeoutMs = 60_000): Promise<void> {
  await expect.poll(async () => (await outbox(page))[0]?.chunkCount ?? 0, { timeout: timeoutMs, interval: 250 }).toBeGreaterThanOrEqual(n);
}

async function serverVideo(recordingId: string): Promise<VideoStatus | null> {
  const res = await fetch(`${server.url}${ROUTES.list}`, { headers: { authorization: `Bearer ${token}` } });
  const { videos } = (await res.json()) as { videos: VideoStatus[] };
  return videos.find((v) => v.recordingId === recordingId) ?? null;
}

/** The server holds the recording complete, every index once, with the bytes the outbox holds. */
async function expectServerCopy(page: Page, recordingId: string, timeoutMs = 60_000): Promise<{ local: LocalRecording; video: VideoStatus }> {
  await expect.poll(async () => (await serverVideo(recordingId))?.state, { timeout: timeoutMs, interval: 250 }).toBe('complete');
  const video = (await serverVideo(recordingId))!;
  await expect.poll(async () => (await outbox(page)).find((r) => r.id === recordingId)?.state, { timeout: 15_000 }).toBe('complete');
  const local = (await outbox(page)).find((r) => r.id === recordingId)!;
  const n = local.indices.length;
  expect(local.indices).toEqual([...Array(n).keys()]);
  expect(local.chunkHashesOk).toBe(n);
  expect(local.chunkStates).toEqual({ uploaded: n });
  expect(video).toMatchObject({ totalChunks: n, receivedChunks: n, chunks: [[0, n - 1]], missing: [], bytes: local.bytes });
  expect(video.mimeType).toMatch(/^video\/webm/);
  // The recorded SHA-256 follows completion (after-completion job): this waits for it and
  // checks it, the served file and the chunks digest against the outbox.
  await expectServedRecording(server, token, recordingId, local);
  return { local, video };
}

describe('Firefox ESR (WebDriver BiDi)', () => {
  it('records WebM, uploads while recording, says uploads go on only while the app is open, and completes with the SHA-256 check', async () => {
    const page = await openApp();
    expect(await page.evaluate(() => 'SyncManager' in globalThis)).toBe(false);
    const t0 = Date.now();
    await click(page, 'Start recording');
    await waitText(page, 'Stop recording');
    const id = (await newest(page)).id;
    await waitChunks(page, 1);
    const during = await statusText(page);
    expect(during).toMatch(/Uploading as you record · \d+ of \d+ chunks on the server/);
    expect(during).toMatch(/only while the app is open/);
    // Uploads happen while recording, not only after Stop.
    await expect.poll(async () => (await serverVideo(id))?.receivedChunks ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await waitChunks(page, RECORD_CHUNKS);
    await click(page, 'Stop recording');
    const stoppedAt = Date.now();
    const { local } = await expectServerCopy(page, id);
    await expect.poll(() => statusKind(page), { timeout: 15_000 }).toBe('complete');
    console.info(
      `[firefox] recorded ${local.indices.length} chunks / ${local.bytes} B (${((stoppedAt - t0) / 1000).toFixed(1)} s), ` +
        `complete on the server ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after Stop, SHA-256 equal`,
    );
    await page.close();
  });

  it(`survives ${OFFLINE_MS / 1000} s offline mid-recording and completes`, async () => {
    const page = await openApp();
    await click(page, 'Start recording');
    await waitText(page, 'Stop recording');
    const id = (await newest(page)).id;
    await expect.poll(async () => (await serverVideo(id))?.receivedChunks ?? 0, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);

    await page.setOfflineMode(true);
    proxy.set({ refuse: true });
    const offAt = Date.now();
    await expect.poll(() => statusKind(page), { timeout: 10_000 }).toBe('waiting-network');
    const heldAt = (await serverVideo(id))!.receivedChunks;
    const before = (await newest(page)).chunkCount;
    await waitChunks(page, before + 2); // recording goes on: two more chunks into the outbox
    await new Promise((r) => setTimeout(r, Math.max(0, offAt + OFFLINE_MS - Date.now())));
    expect((await serverVideo(id))!.receivedChunks).toBe(heldAt);
    proxy.set({ refuse: false });
    await page.setOfflineMode(false);
    const onAt = Date.now();
    const backTo = (await newest(page)).chunkCount;
    await expect.poll(async () => (await serverVideo(id))?.receivedChunks ?? 0, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(backTo);
    const caughtUpMs = Date.now() - onAt;
    await click(page, 'Stop recording');
    const { local } = await expectServerCopy(page, id);
    console.info(
      `[firefox] offline ${((onAt - offAt) / 1000).toFixed(1)} s mid-recording (the server held ${heldAt} chunks throughout); ` +
        `the ${backTo - heldAt} waiting chunks were on the server ${(caughtUpMs / 1000).toFixed(1)} s after reconnecting; ${local.indices.length} chunks complete`,
    );
    await page.close();
  });

  it('resumes when the app is opened again after the browser closed with chunks pending, each index once', async () => {
    let page = await openApp();
    proxy.set({ refuse: true });
    await click(page, 'Start recording');
    await waitText(page, 'Stop recording');
    const id = (await newest(page)).id;
    await waitChunks(page, 3);
    await click(page, 'Stop recording');
    await expect.poll(async () => (await newest(page)).state, { timeout: 15_000 }).toBe('stopped');
    const pending = await newest(page);
    expect(pending.chunkStates.uploaded ?? 0).toBe(0);
    expect(await serverVideo(id)).toBeNull();

    // Every tab and the worker die with the browser; the network comes back while nothing runs.
    await ff.relaunch();
    proxy.set({ refuse: false });
    const reopenedAt = Date.now();
    page = await openApp();
    const { local } = await expectServerCopy(page, id);
    expect(local.indices.length).toBe(pending.indices.length);
    console.info(
      `[firefox] browser closed with ${pending.indices.length} chunks pending; app opened again: complete ${((Date.now() - reopenedAt) / 1000).toFixed(1)} s later, each index once`,
    );
    await page.close();
  });
});
