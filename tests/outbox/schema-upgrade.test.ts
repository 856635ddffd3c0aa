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

const DONE = '8b1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

/** A database as schema version 2 shipped it: one recording complete (checked by SHA-256), one stopped. */
async function createV2Database(factory: IDBFactory): Promise<void> {
  const g = globalThis as unknown as { indexedDB: IDBFactory };
  const saved = g.indexedDB;
  g.indexedDB = factory;
  try {
    const db = await openDB(OUTBOX_DB_NAME, 2, {
      upgrade(d) {
        const recordings = d.createObjectStore('recordings', { keyPath: 'id' });
        recordings.createIndex('by-createdAt', 'createdAt');
        const chunks = d.createObjectStore('chunks', { keyPath: ['recordingId', 'index'] });
        chunks.createIndex('by-recording', 'recordingId');
        chunks.createIndex('by-state', 'state');
        chunks.createIndex('by-recording-state', ['recordingId', 'state']);
        d.createObjectStore('kv');
      },
    });
    const rec = (id: string, state: string, serverSha256: string | null, createdAt: number) => ({
      id, state, mimeType: 'video/webm', title: null, createdAt, updatedAt: 1, stoppedAt: 2, totalChunks: 1,
      sessionId: 'S'.repeat(22), videoId: 'S'.repeat(22), shareUrl: '/s/x', videoUrl: null, serverChunks: null,
      serverSha256, serverSize: serverSha256 ? 1000 : null, localSha256: 'c'.repeat(64), missing: null, finalizedAt: null,
      linkReadyAt: null, localBytes: 1000, localCopy: 'kept', lastError: null, totalBytes: 1000, uploadedBytes: 1000,
    });
    await db.put('recordings', rec(DONE, 'complete', 'b'.repeat(64), 1));
    await db.put('recordings', rec(REC, 'stopped', null, 2));
    for (const id of [DONE, REC]) {
      await db.put('chunks', {
        recordingId: id, index: 0, data: chunkBytes(0), size: 1000, sha256: 'a'.repeat(64), state: 'uploaded', attempts: 1,
        nextAttemptAt: null, lastError: null, createdAt: 1, uploadedAt: 2, uploadMs: 5,
      });
    }
    db.close();
  } finally {
    g.indexedDB = saved;
  }
}

describe('schema upgrades', () => {
  it('v2 → v3: serverSha256 becomes the completion check it was; the local chunks digest starts unknown', async () => {
    const factory = new IDBFactory();
    await createV2Database(factory);
    const ob = await openOutbox({ indexedDB: factory });
    const done = (await ob.getRecording(DONE))!;
    expect(done).toMatchObject({ state: 'complete', completionCheck: { by: 'sha256', digest: 'b'.repeat(64) }, localChunksDigest: null, localSha256: 'c'.repeat(64), serverSize: 1000 });
    expect('serverSha256' in done).toBe(false);
    const open = (await ob.getRecording(REC))!;
    expect(open).toMatchObject({ state: 'stopped', completionCheck: null, localChunksDigest: null, totalBytes: 1000, uploadedBytes: 1000 });
    expect('serverSha256' in open).toBe(false);
    expect(await ob.listChunks(REC)).toHaveLength(1);
    ob.close();
  });

  it('upgrades a version-1 database to the current version keeping every recording, chunk and setting', async () => {
    const factory = new IDBFactory();
    await createV1Database(factory);
    const ob = await openOutbox({ indexedDB: factory });
    const rec = await ob.getRecording(REC);
    expect(rec).toMatchObject({ state: 'stopped', totalChunks: 2, sessionId: 'S'.repeat(22) });
    // v2 backfills the aggregate byte totals from the chunks it found; v3 renames the completion fields.
    expect(rec).toMatchObject({ totalBytes: 1700, uploadedBytes: 1000, completionCheck: null, localChunksDigest: null });
    expect('serverSha256' in rec!).toBe(false);
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
    expect((await again.getRecording(REC))!.localChunksDigest).toMatch(/^[0-9a-f]{64}$/);
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
