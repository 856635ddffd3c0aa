/**
 * How PgMetadataRepo keeps per-user and per-recording limits exact across nodes.
 *
 * Limits (quotas, open sessions) under READ COMMITTED: a count read by one transaction does not
 * see another's uncommitted rows, so two nodes could each count "one below the limit" and both
 * write. A write that checks a per-user limit therefore first locks the user's row
 * (`SELECT … FOR NO KEY UPDATE`, https://www.postgresql.org/docs/15/explicit-locking.html#LOCKING-ROWS)
 * and counts in a later statement, whose snapshot is taken after the lock is granted and so sees
 * everything the previous holder committed. NO KEY UPDATE rather than UPDATE: the foreign-key
 * checks of other inserts (tokens, videos) take KEY SHARE on the same row and need not wait. A
 * video's own total needs no extra lock: `UPDATE … SET stored_bytes = stored_bytes + n RETURNING`
 * waits for a concurrent updater of the row and adds to its committed value.
 *
 * Lock order, so that no two nodes can deadlock: user row, then video row, then the video's
 * existing chunk rows. Nothing locks a video and then its user, nor a chunk row and then its
 * video (a chunk insert creates its row before updating the video, but a row nobody else can see
 * yet blocks only a writer of the same index, which holds nothing of ours). Every writer of a
 * new chunk row therefore inserts it BEFORE it touches the video row — insertChunk and
 * recordSegment with its chunk (pg-output-ledger.ts) alike: were one to lock the video first,
 * it and a writer of the same index on another node would each wait for the other (pinned by
 * tests/server/pg-output-ledger.test.ts).
 */
import { ApiError } from '../../../shared/errors.ts';
import type { ByteLimits } from '../metadata-repo.ts';

/** Row lock on the user: see above. A missing user locks nothing (the insert then fails). */
export const LOCK_USER = 'SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE';
export const LOCK_USER_OF_VIDEO = 'SELECT 1 FROM users WHERE id = (SELECT user_id FROM videos WHERE id = $1) FOR NO KEY UPDATE';

/**
 * One statement that records a chunk ($1 video, $2 index, $3 size, $4 sha256, $5 now) and, only
 * if the row is new, adds its size to the video's stored_bytes. `video_bytes` is the video's new
 * total (null: the chunk was already there, nothing changed); `other_bytes` the stored bytes of
 * the user's other videos, as of this statement's snapshot; `video_seen` whether the video was
 * in that snapshot.
 *
 * The insert happens only if the video is in the statement's snapshot. Without that guard, a
 * video committed by another transaction while this statement ran would get the chunk row (the
 * foreign-key check waits for that transaction and then sees its row) but not the bytes (the
 * UPDATE reads the snapshot taken before it): a chunk outside stored_bytes, for good. Not seen
 * means not there yet: the caller answers not_found, and a retry finds it.
 */
export const INSERT_CHUNK = `WITH ins AS (
      INSERT INTO chunks (video_id, idx, size, sha256) SELECT $1, $2::integer, $3::integer, $4::text
      WHERE EXISTS (SELECT 1 FROM videos WHERE id = $1) ON CONFLICT DO NOTHING RETURNING size
    ), upd AS (
      UPDATE videos SET stored_bytes = stored_bytes + (SELECT size FROM ins), updated_at = GREATEST(updated_at, $5)
      WHERE id = $1 AND EXISTS (SELECT 1 FROM ins)
      RETURNING user_id, stored_bytes
    )
    SELECT (SELECT stored_bytes FROM upd) AS video_bytes,
      (SELECT COALESCE(sum(v.stored_bytes), 0)::bigint FROM videos v WHERE v.user_id = (SELECT user_id FROM upd) AND v.id <> $1) AS other_bytes,
      EXISTS (SELECT 1 FROM videos WHERE id = $1) AS video_seen`;

/** What the chunk statement answers. */
export interface ChunkTotals {
  video_bytes: number | null;
  other_bytes: number | null;
  video_seen: boolean;
}

/** The refusal for a recorded chunk whose totals break a limit (null: within the limits). */
export function refusal(t: { video: number; others: number }, limits: ByteLimits): ApiError | null {
  if (limits.recordingBytes != null && t.video > limits.recordingBytes) {
    return new ApiError('recording_too_large', { limitBytes: limits.recordingBytes });
  }
  if (limits.userBytes != null && t.video + t.others > limits.userBytes) {
    return new ApiError('user_quota_exceeded', { limitBytes: limits.userBytes });
  }
  return null;
}
