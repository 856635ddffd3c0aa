/**
 * Updates wait for the user: a new build's worker installs and waits (no skipWaiting of its own),
 * the page's UploadClient reports it, and applyUpdate() activates it and reloads the page.
 * Needs a fresh `npx vite build` (npm test runs it before vitest).
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIST, installHarness, openApp, startE2e, type E2eEnv } from '../support/e2e-fixtures.ts';

let env: E2eEnv | null = null;
let dir: string | null = null;
afterEach(async () => {
  await env?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  env = null;
  dir = null;
});

describe('service worker updates', { timeout: 60_000 }, () => {
  it('keeps a new worker waiting until the page applies the update, then reloads under it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-dist-'));
    cpSync(DIST, dir, { recursive: true });
    env = await startE2e({ staticDir: dir });
    const page = await openApp(env.context, env.server.url, env.token);
    await page.evaluate(async () => {
      const client = await globalThis.__outboxHarness!.client();
      (globalThis as { __updates?: number }).__updates = 0;
      client.onUpdateAvailable(() => (globalThis as { __updates?: number }).__updates!++);
    });

    // A new build: any byte change of sw.js is an update. The build also writes the precompressed
    // copies the server prefers (vite.config.ts), so a new build brings new ones too.
    const sw = join(dir, 'sw.js');
    appendFileSync(sw, '\n// next build\n');
    writeFileSync(`${sw}.br`, brotliCompressSync(readFileSync(sw)));
    writeFileSync(`${sw}.gz`, gzipSync(readFileSync(sw)));
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    await page.waitForFunction(() => ((globalThis as { __updates?: number }).__updates ?? 0) > 0, null, { timeout: 15_000 });
    // It waits: the old worker still controls the page and nothing activated the new one. Update
    // jobs of one scope run one after another (Service Workers, "Schedule Job"), so this second
    // update() resolves only after the install job above — and any activation a skipWaiting()
    // would have started in it — finished: a condition, not a guess at how long that takes.
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    const before = await page.evaluate(async () => {
      const reg = (await navigator.serviceWorker.getRegistration())!;
      return { waiting: reg.waiting?.state ?? null, controllerIsActive: navigator.serviceWorker.controller === reg.active };
    });
    expect(before).toEqual({ waiting: 'installed', controllerIsActive: true });

    const reloaded = page.waitForEvent('load');
    await page.evaluate(async () => (await globalThis.__outboxHarness!.client()).applyUpdate());
    await reloaded;
    await installHarness(page);
    const after = await page.evaluate(async () => {
      const reg = (await navigator.serviceWorker.getRegistration())!;
      return { waiting: reg.waiting, controllerIsActive: navigator.serviceWorker.controller === reg.active, harnessFresh: (globalThis as { __updates?: number }).__updates === undefined };
    });
    expect(after).toEqual({ waiting: null, controllerIsActive: true, harnessFresh: true });
  });
});
