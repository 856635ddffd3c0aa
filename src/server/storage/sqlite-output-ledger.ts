/**
 * The OutputLedger (ports.ts) on SQLite: each step one BEGIN IMMEDIATE transaction (sqlite-db.ts)
 * whose UPDATE carries the compare-and-set in its WHERE (`state = 'open' AND assembled_chunks =
 * ?`); a step that finds the prefix moved changes nothing and answers false. Durable when it
 * answers true. The in-order chunk rides in the same transaction as its segment, with the same
 * limit checks as insertChunk (sqlite-limits.ts).
 */
import type { Completion, InOrderChunk } from './metadata-repo.ts';
import type { OutputLedger, SegmentReceipt } from './ports.ts';
import { UNDO, type SqliteDb } from './sqlite-db.ts';
import { addChunk } from './sqlite-limits.ts';
import { SEGMENT_COLUMNS } from './rows.ts';
import type { SegmentRow } from './sqlite-rows.ts';

export class SqliteOutputLedger implements OutputLedger {
  constructor(private readonly db: SqliteDb) {}

  async setOutputHandle(videoId: string, uploadId: string): Promise<boolean> {
    return this.db.durablyIf(
      () =>
        this.db.st("UPDATE videos SET output_upload_id = ? WHERE id = ? AND state = 'open' AND output_upload_id IS NULL").run(uploadId, videoId).changes ===
        1,
    );
  }

  async recordSegment(videoId: string, seg: SegmentReceipt, expectChunks: number, now: number, chunk?: InOrderChunk): Promise<boolean> {
    return this.db.durablyIf(() => {
      const moved = this.db.st(
        `UPDATE videos SET assembled_chunks = ?, assembled_bytes = ?, output_segments = output_segments + 1, updated_at = MAX(updated_at, ?)
         WHERE id = ? AND state = 'open' AND assembled_chunks = ?`,
      ).run(seg.end, seg.offset + seg.bytes, now, videoId, expectChunks);
      if (moved.changes !== 1) return false;
      if (chunk && !addChunk(this.db, videoId, { index: chunk.index, size: chunk.size, sha256: chunk.sha256 }, chunk.limits)) throw UNDO;
      if (seg.etag !== null) {
        this.db.st('INSERT INTO segments (video_id, number, "first", "end", "offset", bytes, etag) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
          videoId,
          seg.number,
          seg.first,
          seg.end,
          seg.offset,
          seg.bytes,
          seg.etag,
        );
      }
      return true;
    });
  }

  async listSegments(videoId: string): Promise<SegmentReceipt[]> {
    return this.db.read(() => this.db.st(`SELECT ${SEGMENT_COLUMNS} FROM segments WHERE video_id = ? ORDER BY number`).all(videoId) as SegmentRow[]);
  }

  async completeIf(id: string, expectChunks: number, c: Completion & { chunksDigest: string }): Promise<boolean> {
    return this.db.durablyIf(
      () =>
        this.db.st(
          `UPDATE videos SET state = 'complete', sha256 = ?, chunks_digest = ?, partial = ?, gaps = ?, completed_at = ?,
           assembled_chunks = ?, assembled_bytes = ?, updated_at = MAX(updated_at, ?) WHERE id = ? AND state = 'open' AND assembled_chunks = ?`,
        ).run(c.sha256, c.chunksDigest, c.partial ? 1 : 0, JSON.stringify(c.gaps), c.now, c.assembledChunks, c.assembledBytes, c.now, id, expectChunks)
          .changes === 1,
    );
  }

  async setRecordedSha256(videoId: string, sha256: string): Promise<void> {
    await this.db.durably(() => this.db.st('UPDATE videos SET sha256 = ? WHERE id = ? AND sha256 IS NULL').run(sha256, videoId));
  }

  async listCompletedPending(limit: number): Promise<string[]> {
    // The WHERE of the partial index videos_after_pending (migration 4), verbatim.
    const rows = this.db.read(
      () =>
        this.db.st(
          `SELECT id FROM videos WHERE state = 'complete' AND (sha256 IS NULL OR seekable IS NULL OR file_sha256 IS NULL)
           ORDER BY completed_at, id LIMIT ?`,
        ).all(limit) as { id: string }[],
    );
    return rows.map((r) => r.id);
  }
}
