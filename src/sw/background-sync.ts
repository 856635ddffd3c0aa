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
 *
 * Builds before the Queue registered the plain tag `outbox-upload`. A one-off sync registration
 * cannot be removed — SyncManager has `register()` and `getTags()` only (WICG Background Sync
 * §4) — so one made by an old worker while offline is still pending after the update and fires
 * on reconnect. We listen for it too: that wake-up drains the outbox instead of being wasted on
 * a worker with no listener for it. Nothing registers it any more, so it fires at most once per
 * old registration and then is gone.
 */
/// <reference lib="webworker" />
import { Queue } from 'workbox-background-sync';
import { PERIODIC_SYNC_TAG, SYNC_QUEUE, SYNC_TAG } from '../shared/messages.ts';

/** Periodic Background Sync (WICG); Chromium only, for installed apps, at its own pace. */
interface PeriodicSyncManager {
  register(tag: string, options?: { minInterval: number }): Promise<void>;
  unregister(tag: string): Promise<void>;
}

/** The sync tag of builds before the Workbox Queue (see above): still handled, never registered. */
export const LEGACY_SYNC_TAG = 'outbox-upload';

/** What woke the worker: a sync of `tag`, or (`fallback`) a start where the Sync API is missing. */
export interface SyncWake {
  tag: string;
  fallback: boolean;
  lastChance: boolean;
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
export function installWakeups(sw: ServiceWorkerGlobalScope, onSync: (wake: SyncWake) => Promise<void>): Wakeups {
  const supported = 'sync' in sw.registration;
  const queue = new Queue(SYNC_QUEUE, {
    onSync: async () => {
      if (supported) return onSync({ tag: SYNC_TAG, fallback: false, lastChance: false });
      // Start-up fallback: nothing would catch a rejection here, so it must not reject.
      await onSync({ tag: SYNC_TAG, fallback: true, lastChance: false }).catch(() => undefined);
    },
  });
  sw.addEventListener('sync', (event) => {
    const e = event as ExtendableEvent & { tag: string; lastChance?: boolean };
    if (e.tag === LEGACY_SYNC_TAG) e.waitUntil(onSync({ tag: e.tag, fallback: false, lastChance: e.lastChance ?? false }));
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
