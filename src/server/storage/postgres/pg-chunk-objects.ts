/**
 * ChunkObjects on PostgreSQL: the chunks of the S3 pair that are not yet part of a multipart
 * part, as rows of `chunk_bytes` (migration 5). S3 cannot append (and UploadPartCopy is not
 * everywhere: s3rver lacks it), so a chunk stored as its own object is later read back and sent
 * again inside its part — 2× the bytes written to the object store per byte ingested. Held here
 * instead, every ingested byte reaches S3 once, in its part. The rows are short-lived: ingest
 * deletes them once their part is recorded, so at most about one part (~5 MiB) per open
 * recording is pending at a time.
 *
 * Reads are answered from memory when this node put or read the chunk lately (recent-chunks.ts).
 *
 * Durability: each put is one INSERT committed with the server's `synchronous_commit` (on by
 * default), so a resolved put survives a crash of this node and of the database server.
 * Idempotence across nodes: the key includes the SHA-256, and INSERT … ON CONFLICT DO NOTHING
 * makes a second put of the same chunk (same key = same bytes) wait for the first to commit and
 * then do nothing: both succeed, one row.
 *
 * Errors are translated to the catalogue here (errors.ts): unreachable/restarting → 503, full
 * disk → 507, absent → not_found.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { ApiError } from '../../../shared/errors.ts';
import { isServerId } from '../../ids.ts';
import type { ChunkBody, ChunkObjects, ChunkRef } from '../ports.ts';
import { toCatalogueError } from './errors.ts';
import { migratePg } from './migrations.ts';
import { RecentChunks } from './recent-chunks.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** The idx column is a PostgreSQL integer. */
const MAX_INDEX = 2_147_483_647;

function checkRef(ref: ChunkRef): void {
  if (!isServerId(ref.videoId)) throw new TypeError('invalid video id for a chunk row');
  if (!Number.isSafeInteger(ref.index) || ref.index < 0 || ref.index > MAX_INDEX) throw new TypeError('invalid chunk index for a chunk row');
  if (!SHA256_HEX.test(ref.sha256)) throw new TypeError('invalid SHA-256 for a chunk row');
}

export interface PgChunkObjectsOptions {
  connectionString: string;
  /** Pool size per node; default 8 (a put or get holds a connection for one statement). */
  max?: number;
  /** How long a query waits for a free connection before failing as 503; default 5 s. */
  connectionTimeoutMillis?: number;
  /** Bytes of recently put/read chunks kept in memory to answer `get` (recent-chunks.ts); default 64 MiB, 0 for none. */
  cacheBytes?: number;
}

/** About a dozen recordings' pending S3 parts at once, on one node. */
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

const cacheKey = (ref: ChunkRef) => `${ref.videoId}/${ref.index}-${ref.sha256}`;

export class PgChunkObjects implements ChunkObjects {
  /**
   * `pool` is used as is; `ownsPool` says whether close() ends it (true for open()).
   */
  private readonly recent: RecentChunks;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool = false,
    cacheBytes = DEFAULT_CACHE_BYTES,
  ) {
    this.recent = new RecentChunks(cacheBytes);
  }

  /** A store on a pool of its own (not yet initialised: call init()). */
  static open(opts: PgChunkObjectsOptions): PgChunkObjects {
    const pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.max ?? 8,
      connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 5_000,
    });
    // An idle client whose connection drops emits 'error' on the pool; without a listener that
    // would crash the process. The next query gets a fresh connection (or a 503 if none).
    pool.on('error', () => {});
    return new PgChunkObjects(pool, true, opts.cacheBytes);
  }

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw toCatalogueError(err);
    }
  }

  /** Applies missing migrations (idempotent, under the migration advisory lock). */
  async init(): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toCatalogueError(err);
    }
    try {
      await migratePg(client);
    } catch (err) {
      throw toCatalogueError(err);
    } finally {
      client.release();
    }
  }

  async put(ref: ChunkRef, body: ChunkBody): Promise<void> {
    checkRef(ref);
    // A file body is at most the chunk limit (16 MiB by default): read whole, sent as one
    // binary parameter (node-postgres binds a Buffer in binary format, no hex encoding).
    const bytes = 'buffers' in body ? (body.buffers.length === 1 ? body.buffers[0]! : Buffer.concat(body.buffers)) : await readFile(body.path);
    await this.q('INSERT INTO chunk_bytes (video_id, idx, sha256, bytes) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
      ref.videoId,
      ref.index,
      ref.sha256,
      bytes,
    ]);
    this.recent.set(cacheKey(ref), bytes);
  }

  /**
   * The row comes back in text format (hex, decoded by pg's bytea parser): node-postgres 8
   * decodes every result field as a UTF-8 string before parsing, so binary results would
   * corrupt bytea (pg/lib/result.js, pg-protocol's parser refuses binary mode). That decoding
   * is why a read is costly, and why it is answered from this node's recent chunks when there
   * (recent-chunks.ts: the key carries the SHA-256, so those are the bytes the row holds, or
   * held until another node deleted it — harmless: `get` is only asked for chunks the metadata
   * still counts as pending).
   */
  async get(ref: ChunkRef): Promise<Buffer[]> {
    checkRef(ref);
    const cached = this.recent.get(cacheKey(ref));
    if (cached) return [cached];
    const { rows } = await this.q<{ bytes: Buffer }>('SELECT bytes FROM chunk_bytes WHERE video_id = $1 AND idx = $2 AND sha256 = $3', [
      ref.videoId,
      ref.index,
      ref.sha256,
    ]);
    if (!rows[0]) throw new ApiError('not_found');
    this.recent.set(cacheKey(ref), rows[0].bytes);
    return [rows[0].bytes];
  }

  /** What this node holds from memory, the rest in one SELECT (hex text, as `get`). */
  async getMany(refs: readonly ChunkRef[]): Promise<Buffer[][]> {
    refs.forEach(checkRef);
    const out: (Buffer | undefined)[] = refs.map((r) => this.recent.get(cacheKey(r)));
    const wanted = refs.filter((_, k) => !out[k]);
    if (wanted.length > 0) {
      const videoIds = [...new Set(wanted.map((r) => r.videoId))];
      const { rows } = await this.q<{ video_id: string; idx: number; sha256: string; bytes: Buffer }>(
        'SELECT video_id, idx, sha256, bytes FROM chunk_bytes WHERE video_id = ANY($1::text[]) AND idx = ANY($2::int[])',
        [videoIds, wanted.map((r) => r.index)],
      );
      const found = new Map(rows.map((r) => [cacheKey({ videoId: r.video_id, index: r.idx, sha256: r.sha256 }), r.bytes]));
      refs.forEach((r, k) => {
        out[k] ??= found.get(cacheKey(r));
      });
    }
    return out.map((b) => {
      if (!b) throw new ApiError('not_found');
      return [b];
    });
  }

  async delete(ref: ChunkRef): Promise<void> {
    checkRef(ref);
    this.recent.delete(cacheKey(ref));
    await this.q('DELETE FROM chunk_bytes WHERE video_id = $1 AND idx = $2 AND sha256 = $3', [ref.videoId, ref.index, ref.sha256]);
  }

  async deleteAll(videoId: string): Promise<void> {
    if (!isServerId(videoId)) throw new TypeError('invalid video id for a chunk row');
    this.recent.deletePrefix(`${videoId}/`);
    await this.q('DELETE FROM chunk_bytes WHERE video_id = $1', [videoId]);
  }

  /**
   * Removes the rows no open video can use: of videos complete, expired or gone (a put that
   * lost a race with a delete or with completion on another node). For the expiry sweeper, beside
   * its per-video deleteAll; returns how many rows went. Safe while nodes write: an open video's
   * rows are never touched, and a row of a video that is not open is never read again.
   */
  async deleteOrphans(): Promise<number> {
    const { rows } = await this.q<{ video_id: string; idx: number; sha256: string }>(
      "DELETE FROM chunk_bytes c WHERE NOT EXISTS (SELECT 1 FROM videos v WHERE v.id = c.video_id AND v.state = 'open') RETURNING video_id, idx, sha256",
      [],
    );
    for (const r of rows) this.recent.delete(cacheKey({ videoId: r.video_id, index: r.idx, sha256: r.sha256 }));
    return rows.length;
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}
