/// <reference lib="webworker" />
/**
 * Service worker entry (vite-plugin-pwa `injectManifest`, built to dist/sw.js as a classic
 * script: see vite.config.ts). Wires the app shell, the update lifecycle and the one upload
 * pipeline of this origin; the policy lives in upload-host.ts.
 */
import { consoleLogger } from '../shared/log.ts';
import { PERIODIC_SYNC_TAG } from '../shared/messages.ts';
import { openOutbox } from '../shared/outbox/store.ts';
import { installAppShell } from './app-shell.ts';
import { installWakeups } from './background-sync.ts';
import { createBrowserUploadHost } from './browser-ports.ts';
import { installLifecycle, isSkipWaitingMessage } from './lifecycle.ts';
import type { UploadHost } from './upload-host.ts';

declare const self: ServiceWorkerGlobalScope;

installAppShell(self.__WB_MANIFEST);
installLifecycle(self);

const logger = consoleLogger('outbox:sw');

// Event handlers must be added synchronously during the first evaluation (later ones are
// ignored), so the Queue's sync listener is installed here and reaches the host through a promise.
let resolveHost!: (h: UploadHost) => void;
const host = new Promise<UploadHost>((resolve) => (resolveHost = resolve));
const wakeups = installWakeups(self, (wake) =>
  // Without the Sync API the Queue calls this at every worker start: the start-up drain.
  host.then((h) => (wake.fallback ? h.start() : h.onSync(wake.tag, wake.lastChance))),
);

// Opened once per worker start; every handler awaits the same host.
openOutbox().then(
  (outbox) => {
    const h = createBrowserUploadHost(outbox, {
      origin: self.location.origin,
      scope: self,
      logModule: 'outbox:sw',
      registerSync: () => wakeups.registerSync(),
      periodicSync: wakeups.periodic,
    });
    resolveHost(h);
    // Start-up: whatever woke the worker (a page, a sync, a push), catch up with the outbox.
    void h.start();
  },
  (err: unknown) => logger.error({ err: String(err) }, 'outbox-open-failed'),
);

self.addEventListener('message', (event) => {
  if (isSkipWaitingMessage(event.data)) return;
  event.waitUntil(host.then((h) => h.onMessage(event.data)));
});

self.addEventListener('online', () => {
  void host.then((h) => h.wake('online'));
});

self.addEventListener('periodicsync', (event) => {
  const e = event as ExtendableEvent & { tag?: string };
  if (e.tag === PERIODIC_SYNC_TAG) e.waitUntil(host.then((h) => h.wake(`periodic:${PERIODIC_SYNC_TAG}`)));
});
