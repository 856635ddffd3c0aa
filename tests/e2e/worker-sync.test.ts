/**
 * A sync whose uploads all failed (every chunk request cut by the proxy when connectivity returned)
 * resolves anyway — a rejected sync would sit in Chromium's minutes-long backoff — and leaves its
 * failed chunks in the outbox; the next sync, dispatched here through the DevTools protocol, gives
 * them a new round of attempts and completes the video.
 * Needs a fresh `npx vite build` (npm test runs it before vitest).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dispatchSync, expectServerCopy, findVideo, logEvents, openApp, startE2e, writeRecording, type E2eEnv } from '../support/e2e-fixtures.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';

let env: E2eEnv | null = null;
let proxy: FaultProxy | null = null;
afterEach(async () => {
  await env?.close();
  await proxy?.close();
  env = null;
  proxy = null;
});

const syncDrains = (lines: string[]) => logEvents(lines, 'drain-ended').filter((e) => String(e.reason).includes('sync:outbox-upload'));

describe('background sync backlog', { timeout: 60_000 }, () => {
  it('drains, on the next (DevTools) sync, the backlog a sync could not upload', async () => {
    env = await startE2e();
    proxy = await startFaultProxy({ target: env.server.url });
    const origin = proxy.url;
    const page = await openApp(env.context, origin, env.token);
    // Short retries so the unreachable round ends quickly.
    await page.evaluate(async () => {
      const h = globalThis.__outboxHarness!;
      await (await h.outbox()).saveSettings({ maxAttempts: 2, backoffBaseMs: 100 });
      (await h.client()).settingsChanged();
    });
    await env.context.setOffline(true);
    const rec = await writeRecording(page, { count: 4, size: 100_000 });
    await expect.poll(() => logEvents(env!.console, 'sync-registered').length, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.close();

    // Small JSON requests (init, finalize) pass; every 100 KB chunk upload is reset mid-body.
    proxy.set({ resetAfterBytes: 10_000 });
    await env.context.setOffline(false);
    // The browser's sync fired, every chunk used up its attempts (failed: kept, not lost), and the
    // sync's drain ended — resolved, not rejected.
    await expect.poll(() => logEvents(env!.console, 'chunk-failed').length, { timeout: 15_000 }).toBe(rec.count);
    await expect.poll(() => syncDrains(env!.console).length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect((await findVideo(env.server, env.token, rec.recordingId))?.receivedChunks).toBe(0);

    proxy.set({ resetAfterBytes: null });
    const before = syncDrains(env.console).length;
    await dispatchSync(env.context, origin);
    await expectServerCopy(env, rec);
    // That sync's drain emptied the outbox (its log line may trail the server's answer).
    await expect.poll(() => syncDrains(env!.console).slice(before).some((e) => e.done === true), { timeout: 10_000 }).toBe(true);
  });
});
