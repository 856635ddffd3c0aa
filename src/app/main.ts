/**
 * Entry: open the outbox, start the uploader (service worker, or the page fallback), close any
 * recording a crashed tab left open, and hand everything to <outbox-app>.
 */
import { consoleLogger } from '../shared/log.ts';
import { openOutbox } from '../shared/outbox/store.ts';
import { createApiClient } from './api-client.ts';
import { createUploadClient } from './upload/client.ts';
import { closeOrphanedRecordings } from './recorder/recording-lock.ts';
import type { AppServices } from './services.ts';
import './app-shell.ts';

const logger = consoleLogger('outbox:app');

async function main(): Promise<void> {
  const outbox = await openOutbox();
  const upload = createUploadClient(outbox);
  const api = createApiClient({ getToken: () => outbox.getToken() });
  const services: AppServices = { outbox, upload, api };
  const app = document.querySelector('outbox-app') ?? document.body.appendChild(document.createElement('outbox-app'));
  app.services = services;
  const host = await upload.start();
  logger.info({ host }, 'app.started');
  // A take a reload or crash cut short: closed and uploading; the shell tells the user.
  app.interrupted = await closeOrphanedRecordings(outbox, upload, logger);
}

main().catch((e: unknown) => {
  logger.error({ message: e instanceof Error ? e.message : String(e) }, 'app.start_failed');
  document.body.insertAdjacentHTML(
    'beforeend',
    '<p role="alert" style="padding:16px;font:16px system-ui">Outbox Recorder could not start: this browser blocked local storage (IndexedDB). Private windows in some browsers do this.</p>',
  );
});
