/**
 * Reading pending chunks back on S3 + PostgreSQL, as two nodes on one database see them
 * (src/server/storage/postgres/pg-chunk-objects.ts + recent-chunks.ts): each node answers reads
 * of the chunks it put from memory, the other from the database, and a segment's chunks come in
 * one query (getMany). The memory is content-addressed — the SHA-256 is in the key — so a node
 * never answers other bytes than the row's, whichever node wrote or deleted what.
 */
import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/ids.ts';
import type { ChunkRef } from '../../src/server/storage/ports.ts';
import { PgChunkObjects } from '../../src/server/storage/postgres/pg-chunk-objects.ts';
import { RecentChunks } from '../../src/server/storage/postgres/recent-chunks.ts';
import { expectCode } from '../server/chunk-objects.contract.ts';
import { usePostgres } from '../support/postgres.ts';

const { cluster } = usePostgres();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ref = (videoId: string, index: number, b: Buffer): ChunkRef => ({ videoId, index, sha256: sha(b) });

let url: string;
let nodeA: PgChunkObjects;
let nodeB: PgChunkObjects;
/** SELECTs on chunk_bytes the database has run (pg_stat_user_tables counts scans of the table). */
let stats: pg.Client;

beforeAll(async () => {
  url = await cluster().freshDatabase();
  nodeA = PgChunkObjects.open({ connectionString: url });
  nodeB = PgChunkObjects.open({ connectionString: url });
  await nodeA.init();
  await nodeB.init();
  stats = new pg.Client({ connectionString: url });
  await stats.connect();
});
afterAll(async () => {
  await stats.end();
  await nodeA.close();
  await nodeB.close();
});

/** Rows of chunk_bytes returned by queries since the server started (index and sequential). */
async function rowsRead(): Promise<number> {
  await stats.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await stats.query<{ n: string }>(
    "SELECT (COALESCE(idx_tup_fetch, 0) + COALESCE(seq_tup_read, 0))::text AS n FROM pg_stat_user_tables WHERE relname = 'chunk_bytes'",
  );
  return Number(rows[0]!.n);
}

/** Waits until the statistics collector has counted up to `atLeast` (stats are flushed asynchronously). */
async function rowsReadAtLeast(atLeast: number): Promise<number> {
  for (;;) {
    const n = await rowsRead();
    if (n >= atLeast) return n;
    await stats.query('SELECT pg_sleep(0.05)');
  }
}

describe('pending chunks read back across two nodes', () => {
  it('getMany returns every chunk in the order asked, from memory on the node that put them and from the database on the other', async () => {
    const vid = newId();
    const chunks = Array.from({ length: 12 }, (_, i) => randomBytes(1000 + i));
    for (const [i, c] of chunks.entries()) await nodeA.put(ref(vid, i, c), { size: c.length, buffers: [c] });
    const order = [5, 0, 11, 3, 7];
    const refs = order.map((i) => ref(vid, i, chunks[i]!));

    const before = await rowsRead();
    const fromB = await nodeB.getMany(refs);
    expect(fromB.map((b) => sha(Buffer.concat(b)))).toEqual(order.map((i) => sha(chunks[i]!)));
    // B had none of them in memory: the database returned them (in one query).
    const afterB = await rowsReadAtLeast(before + order.length);

    const fromA = await nodeA.getMany(refs);
    expect(fromA.map((b) => sha(Buffer.concat(b)))).toEqual(order.map((i) => sha(chunks[i]!)));
    // A put them: answered from memory, no row read. Checked by a read B makes afterwards being
    // the only new one (statistics arrive late, so "no change" alone would prove nothing).
    await nodeB.get(ref(vid, 1, chunks[1]!));
    expect(await rowsReadAtLeast(afterB + 1)).toBe(afterB + 1);
  });

  it('rejects not_found when one chunk is absent, and never answers bytes of another digest', async () => {
    const vid = newId();
    const a = randomBytes(500);
    const other = randomBytes(500);
    await nodeA.put(ref(vid, 0, a), { size: a.length, buffers: [a] });
    await expectCode(nodeA.getMany([ref(vid, 0, a), ref(vid, 1, a)]), 'not_found');
    // Same index, other bytes: another key, in memory or not.
    await expectCode(nodeA.get(ref(vid, 0, other)), 'not_found');
    await expectCode(nodeB.getMany([ref(vid, 0, other)]), 'not_found');
    // Deleted on this node: gone from its memory too.
    await nodeA.delete(ref(vid, 0, a));
    await expectCode(nodeA.get(ref(vid, 0, a)), 'not_found');
  });
});

describe('RecentChunks', () => {
  it('keeps at most its byte limit, dropping the least recently used first', () => {
    const r = new RecentChunks(3000);
    r.set('v/0', Buffer.alloc(1000));
    r.set('v/1', Buffer.alloc(1000));
    r.set('v/2', Buffer.alloc(1000));
    r.get('v/0'); // used: 1 is now the oldest
    r.set('v/3', Buffer.alloc(1000));
    expect(r.get('v/1')).toBeUndefined();
    expect(r.get('v/0')).toBeDefined();
    expect(r.size).toEqual({ entries: 3, bytes: 3000 });
    r.deletePrefix('v/');
    expect(r.size).toEqual({ entries: 0, bytes: 0 });
    r.set('big', Buffer.alloc(4000)); // larger than the limit: not kept
    expect(r.size.entries).toBe(0);
  });
});
