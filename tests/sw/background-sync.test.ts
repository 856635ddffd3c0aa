/**
 * The worker's sync listeners, with a fake ServiceWorkerGlobalScope (workbox's Queue adds its
 * listener on the global `self`): the Queue's tag drains, and so does the plain tag of builds
 * before the Queue — a one-off sync registration cannot be removed, so an old worker's pending
 * one still fires after the update.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Workbox reads the global `self` when its modules load (version markers), before any test runs.
vi.hoisted(() => {
  (globalThis as unknown as { self?: unknown }).self = {};
});

import type { SyncWake } from '../../src/sw/background-sync.ts';
import { SYNC_TAG } from '../../src/shared/messages.ts';

type Listener = (event: unknown) => void;

function fakeScope() {
  const listeners = new Map<string, Listener[]>();
  const registered: string[] = [];
  const scope = {
    registration: { sync: { register: async (tag: string) => void registered.push(tag), getTags: async () => registered } },
    addEventListener: (type: string, l: Listener) => listeners.set(type, [...(listeners.get(type) ?? []), l]),
  };
  /** Dispatches a sync event; resolves with what its waitUntil promises settled to. */
  const fire = async (tag: string, lastChance = false): Promise<PromiseSettledResult<unknown>[]> => {
    const kept: Promise<unknown>[] = [];
    for (const l of listeners.get('sync') ?? []) l({ tag, lastChance, waitUntil: (p: Promise<unknown>) => kept.push(p) });
    return Promise.allSettled(kept);
  };
  return { scope, fire, registered };
}

/** A fresh module each time: workbox allows one Queue per name per module instance, as a worker has. */
async function load() {
  vi.resetModules();
  return import('../../src/sw/background-sync.ts');
}

const g = globalThis as unknown as { self?: unknown };
afterEach(() => {
  g.self = {};
});

describe('installWakeups', () => {
  it('drains on the Queue\'s tag and on the legacy tag, and on nothing else', async () => {
    const { scope, fire } = fakeScope();
    g.self = scope;
    const { installWakeups, LEGACY_SYNC_TAG } = await load();
    const wakes: SyncWake[] = [];
    installWakeups(scope as never, async (w) => void wakes.push(w));
    expect(await fire(SYNC_TAG)).toHaveLength(1);
    expect(await fire(LEGACY_SYNC_TAG, true)).toHaveLength(1);
    expect(await fire('something-else')).toHaveLength(0);
    expect(wakes).toEqual([
      { tag: SYNC_TAG, fallback: false, lastChance: false },
      { tag: LEGACY_SYNC_TAG, fallback: false, lastChance: true },
    ]);
  });

  it('a legacy sync whose drain asks for a retry rejects its event (the browser retries it)', async () => {
    const { scope, fire } = fakeScope();
    g.self = scope;
    const { installWakeups, LEGACY_SYNC_TAG } = await load();
    installWakeups(scope as never, async () => {
      throw new Error('work left');
    });
    const [r] = await fire(LEGACY_SYNC_TAG);
    expect(r!.status).toBe('rejected');
  });

  it('registers only the Queue\'s tag', async () => {
    const { scope, registered } = fakeScope();
    g.self = scope;
    const { installWakeups } = await load();
    const w = installWakeups(scope as never, async () => undefined);
    await w.registerSync();
    expect(registered).toEqual([SYNC_TAG]);
  });
});
