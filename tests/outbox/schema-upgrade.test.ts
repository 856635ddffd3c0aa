import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { OUTBOX_DB_NAME, OUTBOX_DB_VERSION, upgradeOutbox } from '../../src/shared/outbox/schema.ts';
import { openOutbox } from '../../src/shared/outbox/store.ts';
import { chunkBytes, recordInto, IDBFactory } from '../pipeline/fakes.ts';

const REC = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

/** Builds a database exactly as schema version 1 shipped it, with a recording half uploaded. */
async function createV1Database(factory: IDBFactory): Promise<void> {
  const g = globalThis as unknown as { indexedDB: IDBFactory };
  const saved = g.indexedDB;
  g.indexedDB = factory;
  try {
    const db = await openDB(OUTBOX_DB_NAME, 1, {
      upgrade(d) {
        const recordings = d.createObjectStore('recordings', { keyPath: 'id' });
        recordings.createIndex('by-createdAt', 'createdAt');
        const chunks = d.createObjectStore('chunks', { keyPath: ['recordingId', 'index'] });
        chunks.createIndex('by-recording', 'recordingId');
        chunks.createIndex('by-state', 'state');
        d.createObjectStore('kv');
      },
    });
    await db.put('recordings', {
      id: REC, state: 'stopped', mimeType: 'video/webm', title: null, createdAt: 1, updatedAt: 1, stoppedAt: 2,
      totalChunks: 2, sessionId: 'S'.repeat(22), videoId: 'S'.repeat(22), shareUrl: '/s/x', videoUrl: null,
      serverChunks: null, serverSha256: null, serverSize: null, localSha256: null, missing: null, finalizedAt: null,
      linkReadyAt: null, localBytes: 1700, localCopy: 'kept', lastError: null,
    });
    const chunk = (index: number, size: number, state: string) => ({
      recordingId: REC, index, data: chunkBytes(index, size), size, sha256: 'a'.repeat(64), state, attempts: 1,
      nextAttemptAt: null, lastError: null, createdAt: 1, uploadedAt: null, uploadMs: null,
    });
    await db.put('chunks', chunk(0, 1000, 'uploaded'));
    await db.put('chunks', chunk(1, 700, 'pending'));
    await db.put('kv', { concurrency: 1 }, 'settings');
    await db.put('kv', 'tok', 'token');
    db.close();
  } finally {
    g.indexedDB = saved;
  }
}

describe('schema upgrades', () => {
  it('upgrades a version-1 database to the current version keeping every recording, chunk and setting', async () => {
    const factory = new IDBFactory();
    await createV1Database(factory);
    const ob = await openOutbox({ indexedDB: factory });
    const rec = await ob.getRecording(REC);
    expect(rec).toMatchObject({ state: 'stopped', totalChunks: 2, sessionId: 'S'.repeat(22) });
    // v2 backfills the aggregate byte totals from the chunks it found.
    expect(rec).toMatchObject({ totalBytes: 1700, uploadedBytes: 1000 });
    const chunks = await ob.listChunks(REC);
    expect(chunks.map((c) => [c.index, c.state, c.size])).toEqual([[0, 'uploaded', 1000], [1, 'pending', 700]]);
    expect(Buffer.from(chunks[1]!.data!).equals(Buffer.from(chunkBytes(1, 700)))).toBe(true);
    // The new index answers.
    expect(await ob.chunkCounts(REC)).toEqual({ pending: 1, uploading: 0, uploaded: 1, failed: 0 });
    expect((await ob.getSettings()).concurrency).toBe(1);
    expect(await ob.getToken()).toBe('tok');
    ob.close();
  });

  it('re-opening the current version keeps the data', async () => {
    const factory = new IDBFactory();
    const ob = await openOutbox({ indexedDB: factory });
    await recordInto(ob, REC, 3);
    ob.close();
    const again = await openOutbox({ indexedDB: factory });
    expect(await again.listChunks(REC)).toHaveLength(3);
    expect((await again.getRecording(REC))!.localSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never deletes an object store on upgrade', async () => {
    const deleted: string[] = [];
    const created: string[] = [];
    const fakeStore = { createIndex: () => undefined };
    const db = {
      createObjectStore: (name: string) => (created.push(name), fakeStore),
      deleteObjectStore: (name: string) => deleted.push(name),
    };
    const tx = { objectStore: () => ({ createIndex: () => undefined }) };
    for (let old = 0; old < OUTBOX_DB_VERSION; old++) {
      upgradeOutbox(db as never, old, OUTBOX_DB_VERSION, tx as never);
    }
    expect(deleted).toEqual([]);
    expect(created).toEqual(['recordings', 'chunks', 'kv']);
  });
});
