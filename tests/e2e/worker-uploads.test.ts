/**
 * The worker uploads what pages put in the outbox, including after every page closed, after an
 * offline period (woken by the browser's own Background Sync), and after being stopped mid-drain.
 * Needs a fresh `npx vite build` (npm test runs it before vitest).
 *
 * Chunk counts scale with E2E_CHUNKS (default 12, ≥ 10 so "≥ 10 pending at close" holds).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { SYNC_TAG } from '../../src/shared/messages.ts';
import {
  chunkStates,
  dispatchSync,
  expectServerCopy,
  findVideo,
  logEvents,
  openApp,
  startE2e,
  stopAllWorkers,
  workerRunningStatus,
  writeRecording,
  type E2eEnv,
} from '../support/e2e-fixtures.ts';

const CHUNKS = Math.max(10, Number(process.env.E2E_CHUNKS ?? 12));
const CHUNK_BYTES = 100_000;

let env: E2eEnv | null = null;
let proxy: FaultProxy | null = null;
afterEach(async () => {
  await env?.close();
  await proxy?.close();
  env = null;
  proxy = null;
});

// A bound for a loaded 2-core machine, where one of these can take a minute.
describe('worker uploads', { timeout: 120_000 }, () => {
  it('uploads chunks a page wrote to the outbox, each once, and finalizes', async () => {
    env = await startE2e();
    const page = await openApp(env.context, env.server.url, env.token);
    const started = Date.now();
    const rec = await writeRecording(page, { count: 5, size: CHUNK_BYTES });
    await expectServerCopy(env, rec);
    console.info(`[e2e] 5 chunks uploaded and finalized in ${Date.now() - started} ms`);
    await expect.poll(() => chunkStates(page, rec.recordingId), { timeout: 10_000 }).toEqual({ uploaded: 5 });
  });

  it('finishes the upload after the page closed with ≥ 10 chunks pending', async () => {
    env = await startE2e();
    proxy = await startFaultProxy({ target: env.server.url });
    const page = await openApp(env.context, proxy.url, env.token);
    // A 20 KB/s link while the page writes (5 s per 100 KB chunk, however slowly a loaded machine
    // writes them), so ≥ 10 are still queued at close; then 250 KB/s (0.4 s per chunk), so the
    // rest needs seconds with no page open.
    proxy.set({ linkBps: 20_000 });
    const rec = await writeRecording(page, { count: CHUNKS, size: CHUNK_BYTES });
    const states = await chunkStates(page, rec.recordingId);
    expect((states.pending ?? 0) + (states.uploading ?? 0)).toBeGreaterThanOrEqual(10);

    await page.close();
    const closedAt = Date.now();
    expect(env.context.pages()).toHaveLength(0);
    proxy.set({ linkBps: 250_000 });
    await expectServerCopy(env, rec);
    console.info(`[e2e] ${CHUNKS} chunks (${(states.pending ?? 0) + (states.uploading ?? 0)} not uploaded at close) completed ${Date.now() - closedAt} ms after the page closed`);
  });

  it('offline → every page closed → online: the browser’s sync event wakes the worker and completes the video', async () => {
    env = await startE2e();
    const origin = env.server.url;
    const page = await openApp(env.context, origin, env.token);
    await env.context.setOffline(true);
    const rec = await writeRecording(page, { count: 6, size: CHUNK_BYTES });
    await expect.poll(() => logEvents(env!.console, 'sync-registered').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await findVideo(env.server, env.token, rec.recordingId)).toBeNull();

    await page.close();
    expect(env.context.pages()).toHaveLength(0);
    // The worker is not stopped here: Playwright keeps it alive, and once stopped, setOffline()
    // can no longer reach it (the call hangs on its dead DevTools session), so the browser would
    // stay offline for it. The stopped-worker wake-up is proven by the two tests below.
    const syncsBefore = logEvents(env.console, 'sync-event').length;

    const onlineAt = Date.now();
    await env.context.setOffline(false);
    await expectServerCopy(env, rec);
    const syncs = logEvents(env.console, 'sync-event').slice(syncsBefore);
    expect(syncs.map((e) => [e.tag, e.online])).toContainEqual([SYNC_TAG, true]);
    // The drain that emptied the outbox ran inside that sync event (its log may trail the server).
    await expect
      .poll(() => logEvents(env!.console, 'drain-ended').some((e) => String(e.reason).includes(`sync:${SYNC_TAG}`) && e.done === true), { timeout: 10_000 })
      .toBe(true);
    expect(env.context.pages()).toHaveLength(0);
    console.info(`[e2e] 6 chunks completed ${Date.now() - onlineAt} ms after going online, no page open`);
  });

  it('resumes without loss or duplicates after the worker is stopped mid-drain and woken by a sync', async () => {
    env = await startE2e();
    proxy = await startFaultProxy({ target: env.server.url });
    const origin = proxy.url;
    const page = await openApp(env.context, origin, env.token);
    proxy.set({ bandwidthBps: 400_000 });
    const rec = await writeRecording(page, { count: CHUNKS, size: CHUNK_BYTES });
    await expect
      .poll(async () => (await findVideo(env!.server, env!.token, rec.recordingId))?.receivedChunks ?? 0, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    await page.close();
    await stopAllWorkers(env.context);
    // A request whose bytes the proxy still holds is cut, as a dropped link would cut it; the
    // worker is then provably stopped (DevTools' own status), so nothing can move until the sync.
    proxy.set({ refuse: true, bandwidthBps: null });
    await expect.poll(() => workerRunningStatus(env!.context, origin), { timeout: 15_000 }).toBe('stopped');
    const atStop = (await findVideo(env.server, env.token, rec.recordingId))!;
    expect(atStop.receivedChunks).toBeLessThan(rec.count);
    proxy.set({ refuse: false });

    const wokeAt = Date.now();
    await dispatchSync(env.context, origin);
    await expectServerCopy(env, rec);
    console.info(`[e2e] stopped at ${atStop.receivedChunks}/${rec.count}; completed ${Date.now() - wokeAt} ms after the CDP sync`);
  });
});
