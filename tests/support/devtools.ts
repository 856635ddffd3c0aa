/**
 * DevTools (CDP) helpers for service-worker events in the browser tests (re-exported by
 * e2e-fixtures.ts). They must go through a *page* session (DESIGN.md "Browser tests"), so each
 * opens an about:blank page in the context and closes it again.
 */
import type { BrowserContext } from 'playwright-core';
import { SYNC_TAG } from '../../src/shared/messages.ts';

/**
 * Fires a real `sync` event at the origin's worker (starting it if stopped). Must go through a
 * *page* session (DESIGN.md "Browser tests"), so it opens an about:blank page in the context and
 * closes it again. A dispatch while the context is offline is silently dropped by Chromium.
 */
export async function dispatchSync(context: BrowserContext, origin: string, tag: string = SYNC_TAG): Promise<void> {
  await withBlankSession(context, async (cdp) => {
    const registrationId = await new Promise<string>((resolveId, reject) => {
      const timer = setTimeout(() => reject(new Error(`no service-worker registration for ${origin}`)), 10_000);
      cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
        const reg = e.registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(origin));
        if (reg) {
          clearTimeout(timer);
          resolveId(reg.registrationId);
        }
      });
      cdp.send('ServiceWorker.enable').catch(reject);
    });
    await cdp.send('ServiceWorker.dispatchSyncEvent', { origin, registrationId, tag, lastChance: false });
  });
}

/** Stops every running service worker of the context (state must then come from IndexedDB). */
export async function stopAllWorkers(context: BrowserContext): Promise<void> {
  await withBlankSession(context, async (cdp) => {
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');
  });
}

/**
 * The running status of the origin's newest worker version as DevTools reports it ('stopped',
 * 'starting', 'running' or 'stopping'), or null when it has none. Poll it to wait for a stop.
 */
export async function workerRunningStatus(context: BrowserContext, origin: string): Promise<string | null> {
  let status: string | null = null;
  await withBlankSession(context, async (cdp) => {
    status = await new Promise<string | null>((resolveStatus, reject) => {
      const timer = setTimeout(() => resolveStatus(null), 5_000);
      cdp.on('ServiceWorker.workerVersionUpdated', (e) => {
        const mine = e.versions.filter((v) => v.scriptURL.startsWith(origin) && v.status !== 'redundant');
        const newest = mine.sort((a, b) => Number(b.versionId) - Number(a.versionId))[0];
        if (newest) {
          clearTimeout(timer);
          resolveStatus(newest.runningStatus);
        }
      });
      cdp.send('ServiceWorker.enable').catch(reject);
    });
  });
  return status;
}

async function withBlankSession(
  context: BrowserContext,
  fn: (cdp: Awaited<ReturnType<BrowserContext['newCDPSession']>>) => Promise<void>,
): Promise<void> {
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    try {
      await fn(cdp);
    } finally {
      await cdp.detach().catch(() => {});
    }
  } finally {
    await page.close();
  }
}

