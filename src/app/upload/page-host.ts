/**
 * Page-fallback mode of the UploadClient, for browsers where no service worker can run here
 * (unsupported, or registration failed — e.g. some private modes). The page runs the *same*
 * UploadHost and UploadPipeline as the worker (DESIGN.md "Data flow"); every drain takes the
 * PIPELINE_LOCK Web Lock, so of several such tabs only one uploads at a time. Without a worker
 * there is no Background Sync: drains run on start, on `online` and on every notification.
 * Loaded with a dynamic import so the usual service-worker mode does not ship the pipeline twice.
 */
import type { PageToWorker } from '../../shared/messages.ts';
import type { Outbox } from '../../shared/outbox/store.ts';
import { createBrowserUploadHost } from '../../sw/browser-ports.ts';
import type { UploadHost } from '../../sw/upload-host.ts';

export class PageHost {
  readonly #host: UploadHost;

  constructor(outbox: Outbox) {
    this.#host = createBrowserUploadHost(outbox, {
      origin: window.location.origin,
      scope: window,
      logModule: 'outbox:app:pipeline-fallback',
      registerSync: null,
      periodicSync: null,
    });
    window.addEventListener('online', () => void this.#host.wake('online'));
  }

  start(): Promise<void> {
    return this.#host.start();
  }

  send(message: PageToWorker): void {
    void this.#host.onMessage(message);
  }
}
