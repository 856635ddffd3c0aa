/**
 * The service worker in real Chromium: install, control, and the offline app shell.
 * Needs a fresh `npx vite build` (npm test runs it before vitest).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openApp, startE2e, type E2eEnv } from '../support/e2e-fixtures.ts';

let env: E2eEnv | null = null;
afterEach(async () => {
  await env?.close();
  env = null;
});

describe('service worker lifecycle', { timeout: 60_000 }, () => {
  it('installs on the first visit and controls the page without a reload', async () => {
    env = await startE2e();
    const page = await openApp(env.context, env.server.url, env.token);
    const state = await page.evaluate(() => ({
      controller: navigator.serviceWorker.controller?.scriptURL ?? null,
      host: globalThis.__outboxHarness?.host ?? null,
    }));
    expect(state.controller).toBe(`${env.server.url}/sw.js`);
    expect(state.host).toBe('service-worker');
  });

  it('serves the app shell with the server down, and never answers /api/ or /s/ with it', async () => {
    env = await startE2e();
    const page = await openApp(env.context, env.server.url, env.token);
    await env.stopServer();

    const response = await page.reload();
    expect(response?.fromServiceWorker()).toBe(true);
    expect(await page.title()).toMatch(/Outbox Recorder$/);
    // A deep link is a navigation too: the shell answers it.
    const deep = await page.goto(`${env.server.url}/recordings/anything`);
    expect(deep?.fromServiceWorker()).toBe(true);
    expect(await page.title()).toMatch(/Outbox Recorder$/);

    // The API must fail like a network error (the pipeline's offline signal), not get index.html.
    const api = await page.evaluate(() => fetch('/api/v1/me').then((r) => `status ${r.status}`, (e: unknown) => `rejected ${String(e)}`));
    expect(api).toMatch(/^rejected/);
    // Share pages are server-rendered: with the server down the navigation fails.
    await expect(page.goto(`${env.server.url}/s/AAAAAAAAAAAAAAAAAAAAAA`)).rejects.toThrow(/ERR_CONNECTION_REFUSED/);
  });
});
