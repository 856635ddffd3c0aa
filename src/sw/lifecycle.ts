/**
 * Install/activate policy. An update waits until the user accepts it (the page shows a prompt and
 * workbox-window's `messageSkipWaiting()` posts `{type: 'SKIP_WAITING'}`), so a recording in
 * progress is never served by a worker from a different build. The very first install has no
 * old worker to protect, so activate claims the open clients at once: the first visit's page
 * becomes controlled without a reload.
 */
/// <reference lib="webworker" />

/** workbox-window's fixed message (Workbox.messageSkipWaiting); not part of PageToWorker. */
export function isSkipWaitingMessage(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === 'SKIP_WAITING';
}

export function installLifecycle(sw: ServiceWorkerGlobalScope): void {
  sw.addEventListener('activate', (event) => {
    event.waitUntil(sw.clients.claim());
  });
  sw.addEventListener('message', (event) => {
    if (isSkipWaitingMessage(event.data)) void sw.skipWaiting();
  });
}
