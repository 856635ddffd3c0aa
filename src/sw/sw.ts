/// <reference lib="webworker" />
/**
 * Service worker entry (vite-plugin-pwa `injectManifest`, built to dist/sw.js as a classic
 * script: see vite.config.ts). Wires the app shell, the update lifecycle and the one upload
 * pipeline of this origin; the policy lives in upload-host.ts.
 */
import { consoleLogger } from '../shared/log.ts';
import { openOutbox } from '../shared/outbox/store.ts';
import { installAppShell } from './app-shell.ts';
import { registerUploadSync } from './background-sync.ts';
import { createBrowserUploadHost } from './browser-ports.ts';
import { installLifecycle, isSkipWaitingMessage } from './lifecycle.ts';
import type { UploadHost } from './upload-host.ts';

declare const self: ServiceWorkerGlobalScope;

installAppShell(self.__WB_MANIFEST);
installLifecycle(self);

const logger = consoleLogger('outbox:sw');

// Opened once per worker start; every handler awaits the same host. Event handlers must be added
// synchronously during the first evaluation (later ones are ignored), hence the promise.
const host: Promise<UploadHost> = openOutbox().then((outbox) =>
  createBrowserUploadHost(outbox, {
    origin: self.location.origin,
    scope: self,
    logModule: 'outbox:sw',
    registerSync: () => registerUploadSync(self.registration),
  }),
);

// Start-up drain: whatever woke the worker (a page, a sync, a push), catch up with the outbox.
host.then(
  (h) => h.start(),
  (err: unknown) => logger.error({ err: String(err) }, 'outbox-open-failed'),
);

self.addEventListener('message', (event) => {
  if (isSkipWaitingMessage(event.data)) return;
  event.waitUntil(host.then((h) => h.onMessage(event.data)));
});

self.addEventListener('online', () => {
  void host.then((h) => h.drain('online'));
});

self.addEventListener('sync', (event) => {
  // Rejects only when online with uploads left, so Chromium retries it later (upload-host.ts).
  event.waitUntil(host.then((h) => h.onSync(event.tag, event.lastChance)));
});
