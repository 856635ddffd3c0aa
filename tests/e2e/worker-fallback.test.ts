/**
 * Where no service worker can run (here: the context blocks them, so registration fails), the
 * page runs the same pipeline itself, under the PIPELINE_LOCK Web Lock so that two tabs never
 * upload at once. Needs a fresh `npx vite build` (npm test runs it before vitest).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PIPELINE_LOCK } from '../../src/shared/messages.ts';
import { expectServerCopy, openApp, startE2e, writeRecording, type E2eEnv } from '../support/e2e-fixtures.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';

let env: E2eEnv | null = null;
let proxy: FaultProxy | null = null;
afterEach(async () => {
  await env?.close();
  await proxy?.close();
  env = null;
  proxy = null;
});

// A bound for a loaded 2-core machine, where two tabs and a throttled upload can take a minute.
describe('page fallback without a service worker', { timeout: 120_000 }, () => {
  it('uploads from the page under the pipeline lock, one tab at a time, each chunk once', async () => {
    env = await startE2e({ serviceWorkers: 'block' });
    proxy = await startFaultProxy({ target: env.server.url });
    const a = await openApp(env.context, proxy.url, env.token, { controlled: false });
    const b = await openApp(env.context, proxy.url, env.token, { controlled: false });
    for (const page of [a, b]) {
      expect(await page.evaluate(() => globalThis.__outboxHarness?.host)).toBe('page-fallback');
    }
    proxy.set({ bandwidthBps: 400_000 });
    const rec = await writeRecording(a, { count: 8, size: 100_000 });
    // Tab B is told too, as a second recorder tab's client would be: it must wait for the lock.
    await b.evaluate(async () => (await globalThis.__outboxHarness!.client()).retry());

    // While one pipeline uploads (throttled: seconds), the other tab's drain waits for the lock.
    await expect
      .poll(() =>
        a.evaluate(async (name) => {
          const q = await navigator.locks.query();
          const held = q.held?.filter((l) => l.name === name) ?? [];
          const pending = q.pending?.filter((l) => l.name === name) ?? [];
          return held.length === 1 && pending.some((p) => p.clientId !== held[0]!.clientId);
        }, PIPELINE_LOCK),
        { timeout: 10_000 },
      )
      .toBe(true);
    proxy.set({ bandwidthBps: null });
    await expectServerCopy(env, rec);
  });
});
