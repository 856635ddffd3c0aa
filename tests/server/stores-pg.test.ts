/**
 * Pending chunks on PostgreSQL (src/server/storage/postgres/pg-chunk-objects.ts) against the
 * ChunkObjects contract, plus what only this store promises: two nodes putting the same chunk at
 * once both succeed with one row; a lost database is a 503; and, driven with the S3 output writer
 * as ingest drives them, each ingested byte is sent to the object store once (the figure logged).
 * The cluster is durable (fsync, full_page_writes): the WAL figure is what production writes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/server/ids.ts';
import type { ChunkRef, SegmentReceipt } from '../../src/server/storage/ports.ts';
import { PgChunkObjects } from '../../src/server/storage/postgres/pg-chunk-objects.ts';
import { createS3Client } from '../../src/server/storage/s3/client.ts';
import { S3OutputWriter } from '../../src/server/storage/s3/s3-output-writer.ts';
import { usePostgres } from '../support/postgres.ts';
import { useS3 } from '../support/s3.ts';
import { expectCode, runChunkObjectsContract } from './chunk-objects.contract.ts';

const { cluster } = usePostgres({ durable: true });
const { s3 } = useS3();

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function pgStore(url?: string) {
  const store = PgChunkObjects.open({ connectionString: url ?? (await cluster().freshDatabase()) });
  await store.init();
  return store;
}

runChunkObjectsContract('PostgreSQL', async () => {
  const store = await pgStore();
  return { store, cleanup: () => store.close() };
});

async function count(url: string, sql: string, params: unknown[] = []): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query(sql, params)).rows[0].n);
  } finally {
    await c.end();
  }
}

describe('PgChunkObjects', () => {
  it('two nodes putting the same chunk at once both succeed, and one row holds it', async () => {
    const url = await cluster().freshDatabase();
    const [a, b] = await Promise.all([pgStore(url), pgStore(url)]);
    const vid = newId();
    const data = randomBytes(625_000);
    const r: ChunkRef = { videoId: vid, index: 4, sha256: sha(data) };
    const settled = await Promise.allSettled([
      ...Array.from({ length: 4 }, () => a.put(r, { size: data.length, buffers: [data] })),
      ...Array.from({ length: 4 }, () => b.put(r, { size: data.length, buffers: [data] })),
    ]);
    expect(settled.map((s) => s.status)).toEqual(Array(8).fill('fulfilled'));
    expect(await count(url, 'SELECT count(*) AS n FROM chunk_bytes WHERE video_id = $1', [vid])).toBe(1);
    expect(Buffer.concat(await b.get(r))).toEqual(data);
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps a late put after deleteAll (no foreign key to a deleted video): deleteAll removes it again', async () => {
    const url = await cluster().freshDatabase();
    const s = await pgStore(url);
    const vid = newId();
    const data = Buffer.from('late chunk');
    const r = { videoId: vid, index: 9, sha256: sha(data) };
    await s.deleteAll(vid);
    await s.put(r, { size: data.length, buffers: [data] });
    expect(Buffer.concat(await s.get(r))).toEqual(data);
    await s.deleteAll(vid);
    expect(await count(url, 'SELECT count(*) AS n FROM chunk_bytes')).toBe(0);
    await s.close();
  });

  it('deleteOrphans removes the rows of videos complete, expired or gone, and keeps an open video’s', async () => {
    const url = await cluster().freshDatabase();
    const s = await pgStore(url);
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    await raw.query("INSERT INTO users VALUES ('U1', 'ann', 1)");
    const [open, done, expired, gone] = [newId(), newId(), newId(), newId()];
    for (const [id, state] of [[open, 'open'], [done, 'complete'], [expired, 'expired']] as const) {
      await raw.query("INSERT INTO videos (id, user_id, recording_id, share_id, mime_type, state, created_at, updated_at) VALUES ($1, 'U1', $1, $1, 'video/webm', $2, 1, 1)", [id, state]);
    }
    const data = Buffer.from('pending');
    const r = (videoId: string) => ({ videoId, index: 0, sha256: sha(data) });
    for (const v of [open, done, expired, gone]) await s.put(r(v), { size: data.length, buffers: [data] });
    expect(await s.deleteOrphans()).toBe(3);
    expect(Buffer.concat(await s.get(r(open)))).toEqual(data);
    for (const v of [done, expired, gone]) await expectCode(s.get(r(v)), 'not_found');
    await raw.end();
    await s.close();
  });

  it('stores the bytes out of line, uncompressed (storage EXTERNAL)', async () => {
    const url = await cluster().freshDatabase();
    const s = await pgStore(url);
    // Compressible on purpose: with the default EXTENDED storage pglz would shrink it.
    const data = Buffer.alloc(200_000, 1);
    await s.put({ videoId: newId(), index: 0, sha256: sha(data) }, { size: data.length, buffers: [data] });
    expect(await count(url, 'SELECT pg_column_size(bytes) AS n FROM chunk_bytes')).toBeGreaterThanOrEqual(data.length);
    await s.close();
  });

  it('answers 503 with Retry-After when the database cannot be reached', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const s = PgChunkObjects.open({ connectionString: `postgres://app@127.0.0.1:${port}/test` });
    const data = Buffer.from('x');
    const r = { videoId: newId(), index: 0, sha256: sha(data) };
    for (const call of [() => s.init(), () => s.put(r, { size: 1, buffers: [data] }), () => s.get(r), () => s.delete(r), () => s.deleteAll(r.videoId)]) {
      await expectCode(call(), 'service_unavailable');
    }
    await s.close();
  });
});

/** Counts the body bytes the client sends per command (as stores-s3.test.ts does). */
function countTraffic(client: S3Client) {
  const bytes = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '?';
      const len = Number((args.request as { headers?: Record<string, string> }).headers?.['content-length'] ?? 0);
      bytes.set(name, (bytes.get(name) ?? 0) + len);
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countTraffic' },
  );
  return bytes;
}

describe('PostgreSQL pending chunks + S3 output, driven as ingest drives them', () => {
  it('sends each ingested byte to the object store once, in its part, and leaves no chunk row', async () => {
    const url = await cluster().freshDatabase();
    const chunks = await pgStore(url);
    const client = createS3Client(s3().settings);
    const sent = countTraffic(client);
    const out = new S3OutputWriter({ client, bucket: s3().bucket });
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    const lsn = async () => String((await raw.query('SELECT pg_current_wal_lsn() AS l')).rows[0].l);
    const vid = newId();
    const CHUNKS = 30;
    const data = Array.from({ length: CHUNKS }, () => randomBytes(625_000));
    const ingested = CHUNKS * 625_000;
    const ref = (i: number): ChunkRef => ({ videoId: vid, index: i, sha256: sha(data[i]!) });
    const walStart = await lsn();
    const h = await out.begin(vid);
    let prefix = { chunks: 0, bytes: 0, segments: 0 };
    const receipts: SegmentReceipt[] = [];
    let pending = 0;
    // As in stores-s3.test.ts: the chunk completing a part comes from the request's memory, the
    // others are read back from the pending store and deleted once their part is recorded.
    const writeParts = async (upto: number, final: boolean, inMemory: number | null) => {
      for (const seg of out.plan(prefix, data.slice(prefix.chunks, upto).map((c) => c.length), final)) {
        const bytes: Buffer[] = [];
        for (let j = seg.first; j < seg.end; j++) bytes.push(...(j === inMemory ? [data[j]!] : await chunks.get(ref(j))));
        receipts.push(await out.write(h, seg, bytes));
        prefix = { chunks: seg.end, bytes: seg.offset + seg.bytes, segments: seg.number };
        for (let j = seg.first; j < seg.end; j++) if (j !== inMemory) await chunks.delete(ref(j));
      }
    };
    for (let i = 0; i < CHUNKS; i++) {
      const completesAPart = out.plan(prefix, data.slice(prefix.chunks, i + 1).map((c) => c.length), false).length > 0;
      if (completesAPart) await writeParts(i + 1, false, i);
      else {
        await chunks.put(ref(i), { size: data[i]!.length, buffers: [data[i]!] });
        pending++;
      }
    }
    await writeParts(CHUNKS, true, null);
    await out.complete(h, receipts, prefix.bytes);
    const walBytes = Number((await raw.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS n', [walStart])).rows[0].n);

    const opened = await out.open(vid);
    opened.body.destroy();
    expect(opened.size).toBe(ingested);
    const objects = await client.send(new ListObjectsV2Command({ Bucket: s3().bucket, Prefix: `chunks/${vid}/` }));
    expect(objects.KeyCount ?? 0).toBe(0);
    expect(Number((await raw.query('SELECT count(*) AS n FROM chunk_bytes')).rows[0].n)).toBe(0);
    const s3Written = [...sent.entries()].filter(([k]) => k === 'UploadPartCommand' || k === 'PutObjectCommand').reduce((a, [, n]) => a + n, 0);
    expect(sent.get('PutObjectCommand') ?? 0).toBe(0);
    expect(s3Written).toBe(ingested);
    expect(pending).toBeGreaterThan(CHUNKS / 2); // most chunks did wait in PostgreSQL
    // Each pending byte is written to the WAL about once (plus tuple and page overhead).
    expect(walBytes).toBeGreaterThan(pending * 625_000);
    expect(walBytes).toBeLessThan(ingested * 1.5);
    console.info(
      JSON.stringify({
        figure: 'pg-pending-s3-bytes-per-ingested-byte',
        chunks: CHUNKS,
        chunkBytes: 625_000,
        pendingChunks: pending,
        s3WrittenRatio: Number((s3Written / ingested).toFixed(3)),
        pgWalRatio: Number((walBytes / ingested).toFixed(3)),
        pgWalPerPendingByte: Number((walBytes / (pending * 625_000)).toFixed(3)),
      }),
    );
    await raw.end();
    await chunks.close();
    client.destroy();
  });
});
