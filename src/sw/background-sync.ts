/**
 * Background Sync, used directly (`registration.sync.register(SYNC_TAG)` + the `sync` event)
 * rather than through workbox-background-sync's `Queue`.
 *
 * Why not Queue: it is built to store `Request`s and replay them one by one. Its replay takes a
 * request *out of its store before* sending it and counts any response as success (workbox #2599),
 * its sync may fire minutes late (#3335), and it has no progress. Our durable queue is the outbox
 * (DESIGN.md "Data flow": a chunk is freed only after a 2xx with the matching SHA-256), so the
 * only thing we need from Background Sync is the wake-up — exactly what the plain API gives. The
 * tag name is shared with the page in src/shared/messages.ts (SYNC_TAG).
 */
/// <reference lib="webworker" />
/// <reference types="workbox-background-sync" />
import { SYNC_TAG } from '../shared/messages.ts';

/** Rejects where Background Sync is missing (Firefox, Safari) or not permitted. */
export async function registerUploadSync(registration: ServiceWorkerRegistration): Promise<void> {
  const sync = (registration as Partial<Pick<ServiceWorkerRegistration, 'sync'>>).sync;
  if (!sync) throw new Error('Background Sync is not supported here');
  await sync.register(SYNC_TAG);
}
