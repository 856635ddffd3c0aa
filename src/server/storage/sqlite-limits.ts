/**
 * How SqliteMetadataRepo keeps per-user and per-recording limits exact: the check runs inside
 * the write's BEGIN IMMEDIATE transaction, which holds the database's one write lock, so no
 * other connection can add bytes between the count and the commit (PostgreSQL needs row locks
 * for the same: postgres/pg-limits.ts).
 */
import { ApiError } from '../../shared/errors.ts';
import type { ByteLimits, ChunkRecord } from './metadata-repo.ts';
import type { SqliteDb } from './sqlite-db.ts';

/**
 * Inserts a chunk row and counts its bytes on the video, refusing (by throwing, which rolls the
 * transaction back) when that takes the video or its user over a limit. Runs inside a
 * transaction. False when the row was already there.
 */
export function addChunk(db: SqliteDb, videoId: string, chunk: ChunkRecord, limits: ByteLimits | undefined): boolean {
  const info = db.st('INSERT INTO chunks (video_id, idx, size, sha256) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(
    videoId,
    chunk.index,
    chunk.size,
    chunk.sha256,
  );
  if (info.changes !== 1) return false;
  db.st('UPDATE videos SET stored_bytes = stored_bytes + ? WHERE id = ?').run(chunk.size, videoId);
  if (limits?.recordingBytes != null) {
    const v = db.st('SELECT stored_bytes AS n FROM videos WHERE id = ?').get(videoId) as { n: number };
    if (v.n > limits.recordingBytes) throw new ApiError('recording_too_large', { limitBytes: limits.recordingBytes });
  }
  if (limits?.userBytes != null) {
    const u = db.st('SELECT COALESCE(SUM(stored_bytes), 0) AS n FROM videos WHERE user_id = (SELECT user_id FROM videos WHERE id = ?)').get(
      videoId,
    ) as { n: number };
    if (u.n > limits.userBytes) throw new ApiError('user_quota_exceeded', { limitBytes: limits.userBytes });
  }
  return true;
}
