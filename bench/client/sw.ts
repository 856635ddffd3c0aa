/// <reference lib="webworker" />
/** The benchmark's service worker: answers every message on its port, like the real worker's ack. */
const sw = self as unknown as ServiceWorkerGlobalScope;
sw.addEventListener('install', () => void sw.skipWaiting());
sw.addEventListener('activate', (e) => e.waitUntil(sw.clients.claim()));
sw.addEventListener('message', (e) => {
  const data = e.data as { type?: unknown };
  e.ports[0]?.postMessage({ type: 'ack', of: typeof data?.type === 'string' ? data.type : null });
});
