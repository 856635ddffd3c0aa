/**
 * Opens the outbox database through any IDBFactory (the browser's, or fake-indexeddb's in
 * tests). idb's own openDB only uses the global `indexedDB`, so this is its open sequence with
 * the factory injected: the same upgrade callback, the same wrapped objects.
 */
import { wrap } from 'idb';
import { OUTBOX_DB_NAME, OUTBOX_DB_VERSION, upgradeOutbox, type OutboxDatabase } from './schema.ts';

export interface OpenOptions {
  name?: string;
  indexedDB?: IDBFactory;
}

export async function openOutboxDatabase(opts: OpenOptions = {}): Promise<OutboxDatabase> {
  const factory = opts.indexedDB ?? globalThis.indexedDB;
  if (!factory) throw new Error('IndexedDB is not available in this context');
  const request = factory.open(opts.name ?? OUTBOX_DB_NAME, OUTBOX_DB_VERSION);
  request.addEventListener('upgradeneeded', (event) => {
    const tx = request.transaction;
    if (!tx) return;
    upgradeOutbox(wrap(request.result) as OutboxDatabase, event.oldVersion, event.newVersion, wrap(tx) as never);
  });
  const db = (await wrap(request)) as unknown as OutboxDatabase;
  // Another context (a newer page) wants to upgrade: let it, rather than block it forever.
  db.addEventListener('versionchange', () => db.close());
  return db;
}
