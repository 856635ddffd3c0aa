/**
 * Where pending chunks live: PostgreSQL by default when a node runs on S3 + PostgreSQL,
 * S3 objects with OUTBOX_PENDING_CHUNKS=s3, the byte store's own chunk store otherwise.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pendingChunks } from '../../src/server/pending-chunks-config.ts';
import { newId } from '../../src/server/ids.ts';
import type { ChunkObjects } from '../../src/server/storage/ports.ts';
import { PgChunkObjects } from '../../src/server/storage/postgres/pg-chunk-objects.ts';
import { openPendingChunks, pendingChunksInPostgres } from '../../src/server/storage/postgres/select-pending.ts';
import { usePostgres } from '../support/postgres.ts';

const { cluster } = usePostgres();
const log = { info: () => {} };
const both = { OUTBOX_DATABASE_URL: 'postgres://db/x', OUTBOX_S3_BUCKET: 'rec' };

/** A byte store's chunk store that only records whether it was closed. */
function storeChunks(): ChunkObjects & { closed: number } {
  const fail = () => Promise.reject(new Error('not used'));
  return { closed: 0, init: fail, put: fail, get: fail, delete: fail, deleteAll: fail, async close() { this.closed++; } };
}

describe('OUTBOX_PENDING_CHUNKS', () => {
  it('is auto when unset, postgres or s3 when set, and refuses anything else or postgres without both engines', () => {
    expect(pendingChunks({})).toBe('auto');
    expect(pendingChunks({ ...both, OUTBOX_PENDING_CHUNKS: ' S3 ' })).toBe('s3');
    expect(pendingChunks({ ...both, OUTBOX_PENDING_CHUNKS: 'postgres' })).toBe('postgres');
    expect(() => pendingChunks({ OUTBOX_PENDING_CHUNKS: 'disk' })).toThrow(/OUTBOX_PENDING_CHUNKS/);
    expect(() => pendingChunks({ OUTBOX_S3_BUCKET: 'rec', OUTBOX_PENDING_CHUNKS: 'postgres' })).toThrow(/OUTBOX_DATABASE_URL/);
  });

  it('puts pending chunks in PostgreSQL only when the node has both a database and a bucket and no s3 override', () => {
    const s3 = { bucket: 'rec' };
    expect(pendingChunksInPostgres({ databaseUrl: 'postgres://db/x', s3, pendingChunks: 'auto' })).toBe(true);
    expect(pendingChunksInPostgres({ databaseUrl: 'postgres://db/x', s3, pendingChunks: 'postgres' })).toBe(true);
    expect(pendingChunksInPostgres({ databaseUrl: 'postgres://db/x', s3, pendingChunks: 's3' })).toBe(false);
    expect(pendingChunksInPostgres({ databaseUrl: 'postgres://db/x', s3: null, pendingChunks: 'auto' })).toBe(false);
    expect(pendingChunksInPostgres({ databaseUrl: null, s3, pendingChunks: 'auto' })).toBe(false);
  });
});

describe('openPendingChunks', () => {
  it('opens a working PostgreSQL store and closes the byte store’s chunk store it replaces', async () => {
    const url = await cluster().freshDatabase();
    const own = storeChunks();
    const chunks = await openPendingChunks({ databaseUrl: url, s3: { bucket: 'rec' }, pendingChunks: 'auto' }, own, log);
    expect(chunks).toBeInstanceOf(PgChunkObjects);
    expect(own.closed).toBe(1);
    const data = Buffer.from('pending');
    const ref = { videoId: newId(), index: 0, sha256: createHash('sha256').update(data).digest('hex') };
    await chunks.put(ref, { size: data.length, buffers: [data] });
    expect(Buffer.concat(await chunks.get(ref))).toEqual(data);
    await chunks.close();
  });

  it('keeps the byte store’s chunk store, open, with OUTBOX_PENDING_CHUNKS=s3 or without a database', async () => {
    const own = storeChunks();
    expect(await openPendingChunks({ databaseUrl: cluster().url('test'), s3: { bucket: 'rec' }, pendingChunks: 's3' }, own, log)).toBe(own);
    expect(await openPendingChunks({ databaseUrl: null, s3: { bucket: 'rec' }, pendingChunks: 'auto' }, own, log)).toBe(own);
    expect(own.closed).toBe(0);
  });

  it('leaves the byte store’s chunk store open when PostgreSQL cannot be reached (503)', async () => {
    const own = storeChunks();
    const err = await openPendingChunks({ databaseUrl: 'postgres://app@127.0.0.1:1/test', s3: { bucket: 'rec' }, pendingChunks: 'auto' }, own, log).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'service_unavailable' });
    expect(own.closed).toBe(0);
  });
});
