/**
 * Background Sync across a browser restart: a recording made offline is queued with the sync tag;
 * the browser is closed while still offline and started again online with no app page. Only the
 * browser's own `sync` event can start the worker then, and the video must complete.
 * Needs a fresh `npx vite build` (npm test runs it before vitest).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectServerCopy, logEvents, openApp, startE2e, writeRecording, type E2eEnv } from '../support/e2e-fixtures.ts';

let env: E2eEnv | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

describe('background sync after a browser restart', { timeout: 60_000 }, () => {
  it('completes a recording made offline once the browser restarts online, with no app page open', async () => {
    env = await startE2e({ persistent: true });
    const origin = env.server.url;
    const page = await openApp(env.context, origin, env.token);
    await env.context.setOffline(true);
    const rec = await writeRecording(page, { count: 4, size: 100_000 });
    await expect.poll(() => logEvents(env!.console, 'sync-registered').length, { timeout: 10_000 }).toBeGreaterThan(0);

    await env.relaunch();
    const restartedAt = Date.now();
    // The relaunched profile's only page is about:blank: nothing of the app's origin is open.
    expect(env.context.pages().every((p) => !p.url().startsWith(origin))).toBe(true);
    await expectServerCopy(env, rec);
    expect(env.context.pages().every((p) => !p.url().startsWith(origin))).toBe(true);
    console.info(`[e2e] 4 chunks completed ${Date.now() - restartedAt} ms after the browser restarted online`);
  });
});
