/**
 * A sync whose uploads all fail (every chunk request cut by the proxy when connectivity returned)
 * spends the chunks' attempts but gives none up: they show as failed and wait for the server on
 * the capped backoff (45 s), with the worker's drain kept alive. The next sync — dispatched here
 * through the DevTools protocol once the network heals — makes them due at once and completes
 * the video long before the 45 s wait would have.
 * Needs a fresh `npx vite build` (npm test runs it before vitest).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dispatchSync, expectServerCopy, findVideo, logEvents, openApp, startE2e, writeRecording, type E2eEnv } from '../support/e2e-fixtures.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { SYNC_TAG } from '../../src/shared/messages.ts';

let env: E2eEnv | null = null;
let proxy: FaultProxy | null = null;
afterEach(async () => {
  await env?.close();
  await proxy?.close();
  env = null;
  proxy = null;
});

const syncDrains = (lines: string[]) => logEvents(lines, 'drain-ended').filter((e) => String(e.reason).includes(`sync:${SYNC_TAG}`));

describe('background sync backlog', { timeout: 60_000 }, () => {
  it('keeps the backlog a sync could not upload waiting (not given up), and the next sync sends it at once', async () => {
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
    // The browser's sync fired and every chunk used up its attempts: waiting for the server on the
    // capped backoff, never given up.
    const exhausted = () => new Set(logEvents(env!.console, 'chunk-retry').filter((e) => e.exhausted === true).map((e) => e.index)).size;
    await expect.poll(exhausted, { timeout: 15_000 }).toBe(rec.count);
    expect(logEvents(env.console, 'sync-event').length).toBeGreaterThan(0);
    expect(logEvents(env.console, 'chunk-failed')).toHaveLength(0);
    expect((await findVideo(env.server, env.token, rec.recordingId))?.receivedChunks).toBe(0);

    proxy.set({ resetAfterBytes: null });
    const healedAt = Date.now();
    await dispatchSync(env.context, origin);
    // Within 20 s, so not by the 45 s capped wait: the sync made the waiting chunks due at once.
    await expectServerCopy(env, rec, 20_000);
    expect(Date.now() - healedAt).toBeLessThan(40_000);
    expect(logEvents(env.console, 're-armed').some((e) => String(e.why).startsWith('sync:'))).toBe(true);
    await expect.poll(() => syncDrains(env!.console).some((e) => e.done === true), { timeout: 10_000 }).toBe(true);
  });
});
