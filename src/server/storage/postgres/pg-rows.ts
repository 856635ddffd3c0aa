/**
 * How PostgreSQL rows of PgMetadataRepo become the port's records, and the pool's int8 parser.
 */
import pg from 'pg';
export { toUser, toVideo, type UserRow, type VideoRow } from '../rows.ts';

const INT8_OID = 20;

/**
 * bigint columns hold epoch milliseconds and byte counts, all far below 2^53: parse them as
 * numbers for this pool only (pg's default is a string; the global parser table stays as is).
 */
export const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export const VIDEO_COLUMNS = `id, user_id, recording_id, share_id, title, mime_type, state, created_at, updated_at, completed_at,
  total_chunks, assembled_chunks, assembled_bytes, output_segments, output_upload_id, chunks_digest, sha256, partial, gaps, stored_bytes, duration_ms, seekable, head_length,
  head_replaces, file_sha256, poster_at`;

