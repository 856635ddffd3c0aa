/**
 * The OutputLedger (ports.ts) on PostgreSQL: conditional updates that stay right when two nodes
 * race, whatever their locks. Under READ COMMITTED an `UPDATE … WHERE assembled_chunks = $2`
 * that finds the row locked waits for the other transaction and then re-checks its WHERE on
 * the committed row (https://www.postgresql.org/docs/15/transaction-iso.html#XACT-READ-COMMITTED),
 * so of two nodes recording against the same prefix exactly one matches; the other changes
 * nothing and answers false.
 *
 * Lock order (pg-limits.ts): user row (only when the user's total is limited) → the new chunk
 * row (invisible to others until commit, as in every chunk insert) → video row. One statement
 * per step wherever a rollback is not needed, so the per-part write on S3 is one round trip.
 */
import type pg from 'pg';
import type { Completion, InOrderChunk } from '../metadata-repo.ts';
import type { OutputLedger, SegmentReceipt } from '../ports.ts';
import { LOCK_USER_OF_VIDEO, refusal } from './pg-limits.ts';
import { SEGMENT_COLUMNS } from '../rows.ts';

/** A query on the pool (one implicit transaction per statement) or on a transaction's client. */
export type Run = <R extends pg.QueryResultRow>(sql: string, params?: unknown[]) => Promise<pg.QueryResult<R>>;
/** Runs `fn` in one transaction on one connection (PgMetadataRepo.transaction). */
export type InTransaction = <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

/** Thrown inside a transaction to roll it back: the compare-and-set answers false. */
const UNDO = Symbol('undo');

/**
 * Advances the prefix iff open at $2 chunks ($1 video, $3 new assembled_chunks, $4 new bytes,
 * $5 now) and keeps an ETag'd receipt ($6 number, $7 first, $8 offset, $9 bytes, $10 etag).
 * With a chunk, the chunk row ($11 index, $12 size, $13 sha256) is inserted first and the prefix
 * moves only if it was new; the caller rolls back a new row whose prefix did not move.
 */
function advanceStatement(withChunk: boolean): string {
  const ins = withChunk ? 'ins AS (INSERT INTO chunks (video_id, idx, size, sha256) VALUES ($1, $11, $12, $13) ON CONFLICT DO NOTHING RETURNING size),' : '';
  return `WITH ${ins} v AS (
      UPDATE videos SET assembled_chunks = $3, assembled_bytes = $4, output_segments = output_segments + 1,
        ${withChunk ? 'stored_bytes = stored_bytes + (SELECT size FROM ins),' : ''} updated_at = GREATEST(updated_at, $5)
      WHERE id = $1 AND state = 'open' AND assembled_chunks = $2 ${withChunk ? 'AND EXISTS (SELECT 1 FROM ins)' : ''}
      RETURNING id, user_id, stored_bytes
    ), s AS (
      INSERT INTO segments (video_id, number, "first", "end", "offset", bytes, etag)
      SELECT id, $6, $7, $3, $8, $9, $10 FROM v WHERE $10::text IS NOT NULL
    )
    SELECT (SELECT count(*) FROM v)::int AS moved, ${withChunk ? '(SELECT count(*) FROM ins)::int' : '0'} AS inserted,
      (SELECT stored_bytes FROM v) AS video_bytes,
      (SELECT COALESCE(sum(o.stored_bytes), 0)::bigint FROM videos o WHERE o.user_id = (SELECT user_id FROM v) AND o.id <> $1) AS other_bytes`;
}
const ADVANCE = advanceStatement(false);
const ADVANCE_WITH_CHUNK = advanceStatement(true);

interface Advanced {
  moved: number;
  inserted: number;
  video_bytes: number | null;
  other_bytes: number | null;
}

export class PgOutputLedger implements OutputLedger {
  constructor(
    private readonly run: Run,
    private readonly transaction: InTransaction,
  ) {}

  async setOutputHandle(videoId: string, uploadId: string): Promise<boolean> {
    const r = await this.run("UPDATE videos SET output_upload_id = $2 WHERE id = $1 AND state = 'open' AND output_upload_id IS NULL", [videoId, uploadId]);
    return r.rowCount === 1;
  }

  async recordSegment(videoId: string, seg: SegmentReceipt, expectChunks: number, now: number, chunk?: InOrderChunk): Promise<boolean> {
    const params: unknown[] = [videoId, expectChunks, seg.end, seg.offset + seg.bytes, now, seg.number, seg.first, seg.offset, seg.bytes, seg.etag];
    if (!chunk) {
      const { rows } = await this.run<Advanced>(ADVANCE, params);
      return rows[0]!.moved === 1;
    }
    const limits = chunk.limits;
    try {
      return await this.transaction(async (client) => {
        if (limits?.userBytes != null) await client.query(LOCK_USER_OF_VIDEO, [videoId]);
        const { rows } = await client.query<Advanced>(ADVANCE_WITH_CHUNK, [...params, chunk.index, chunk.size, chunk.sha256]);
        const r = rows[0]!;
        if (r.inserted === 0) return false;
        if (r.moved === 0) throw UNDO;
        const refused = limits ? refusal({ video: r.video_bytes!, others: r.other_bytes ?? 0 }, limits) : null;
        if (refused) throw refused;
        return true;
      });
    } catch (err) {
      if (err === UNDO) return false;
      throw err;
    }
  }

  async listSegments(videoId: string): Promise<SegmentReceipt[]> {
    const { rows } = await this.run<SegmentReceipt>(`SELECT ${SEGMENT_COLUMNS} FROM segments WHERE video_id = $1 ORDER BY number`, [videoId]);
    return rows;
  }

  async completeIf(videoId: string, expectChunks: number, c: Completion & { chunksDigest: string }): Promise<boolean> {
    const r = await this.run(
      `UPDATE videos SET state = 'complete', sha256 = $2, chunks_digest = $3, partial = $4, gaps = $5, completed_at = $6,
       assembled_chunks = $7, assembled_bytes = $8, updated_at = GREATEST(updated_at, $6) WHERE id = $1 AND state = 'open' AND assembled_chunks = $9`,
      // JSON text: node-postgres would send a JS array as a PostgreSQL array literal.
      [videoId, c.sha256, c.chunksDigest, c.partial, JSON.stringify(c.gaps), c.now, c.assembledChunks, c.assembledBytes, expectChunks],
    );
    return r.rowCount === 1;
  }

  async setRecordedSha256(videoId: string, sha256: string): Promise<void> {
    await this.run('UPDATE videos SET sha256 = $2 WHERE id = $1 AND sha256 IS NULL', [videoId, sha256]);
  }

  async listCompletedPending(limit: number): Promise<string[]> {
    // The WHERE of the partial index videos_after_pending (migration 4), verbatim.
    const { rows } = await this.run<{ id: string }>(
      `SELECT id FROM videos WHERE state = 'complete' AND (sha256 IS NULL OR seekable IS NULL OR file_sha256 IS NULL)
       ORDER BY completed_at, id COLLATE "C" LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }
}
