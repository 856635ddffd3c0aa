/**
 * The worker's wake-ups from the browser: workbox-background-sync's `Queue` with a custom
 * `onSync`, and Periodic Background Sync where the browser offers it.
 *
 * The Queue stores no Requests here: `onSync` drains the outbox, which stays the only queue, so
 * Workbox's replay — which takes a request out of its store *before* sending it and counts any
 * response as success (workbox #2599) — never runs. What the Queue brings is the wake-up: its
 * `sync` listener for the tag `workbox-background-sync:<name>` (a rejected `onSync` rejects the
 * event, so the browser retries it later), and, where the Sync API is missing (Firefox, Safari),
 * a call of `onSync` each time the worker starts — the fallback peers ask for (workbox #2386).
 * The Queue re-registers its tag after a sync only when requests were added during it; we add
 * none, so a sync never re-registers itself (Chromium re-fires a tag registered during its own
 * event at once: a loop).
 *
 * The Queue's `onSync` gets no `event.lastChance`; on the last chance a rejection costs nothing
 * more than a resolution would (the browser drops the tag either way).
 */
/// <reference lib="webworker" />
import { Queue } from 'workbox-background-sync';
import { PERIODIC_SYNC_TAG, SYNC_QUEUE } from '../shared/messages.ts';

/** Periodic Background Sync (WICG); Chromium only, for installed apps, at its own pace. */
interface PeriodicSyncManager {
  register(tag: string, options?: { minInterval: number }): Promise<void>;
  unregister(tag: string): Promise<void>;
}

/** The shortest interval we ask for; Chromium grants at least 12 h, by site engagement. */
const PERIODIC_MIN_INTERVAL_MS = 12 * 60 * 60 * 1000;

export interface Wakeups {
  /** Registers the sync tag; rejects where Background Sync is missing. */
  registerSync(): Promise<void>;
  /** Null where Periodic Background Sync is missing. */
  periodic: { register(): Promise<void>; unregister(): Promise<void> } | null;
}

/**
 * Call during the worker's first evaluation (event listeners added later are ignored).
 * `onSync` is the drain; it is also called once right here where the Sync API is missing.
 */
export function installWakeups(sw: ServiceWorkerGlobalScope, onSync: (fallback: boolean) => Promise<void>): Wakeups {
  const supported = 'sync' in sw.registration;
  const queue = new Queue(SYNC_QUEUE, {
    onSync: async () => {
      if (supported) return onSync(false);
      // Start-up fallback: nothing would catch a rejection here, so it must not reject.
      await onSync(true).catch(() => undefined);
    },
  });
  const manager = (sw.registration as unknown as { periodicSync?: PeriodicSyncManager }).periodicSync;
  return {
    async registerSync() {
      if (!supported) throw new Error('Background Sync is not supported here');
      await queue.registerSync();
    },
    periodic: manager
      ? {
          register: () => manager.register(PERIODIC_SYNC_TAG, { minInterval: PERIODIC_MIN_INTERVAL_MS }),
          unregister: () => manager.unregister(PERIODIC_SYNC_TAG),
        }
      : null,
  };
}
