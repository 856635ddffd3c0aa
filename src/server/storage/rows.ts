/**
 * How a row of the videos and users tables becomes the port's record, for both engines: each
 * engine's rows module decodes what its driver returns differently (SQLite's 0/1 booleans and
 * JSON text) into this shape first.
 */
import type { IndexRange } from '../../shared/ranges.ts';
import type { User, VideoRecord, VideoStateName } from './metadata-repo.ts';

/** A videos row, decoded. */
export interface VideoRow {
  id: string;
  user_id: string;
  recording_id: string;
  share_id: string;
  title: string | null;
  mime_type: string;
  state: VideoStateName;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  total_chunks: number | null;
  assembled_chunks: number;
  assembled_bytes: number;
  output_segments: number;
  output_upload_id: string | null;
  chunks_digest: string | null;
  sha256: string | null;
  partial: boolean;
  gaps: IndexRange[];
  stored_bytes: number;
  duration_ms: number | null;
  seekable: boolean | null;
  head_length: number | null;
  head_replaces: number | null;
  file_sha256: string | null;
  poster_at: number | null;
}

export function toVideo(r: VideoRow): VideoRecord {
  return {
    id: r.id,
    userId: r.user_id,
    recordingId: r.recording_id,
    shareId: r.share_id,
    title: r.title,
    mimeType: r.mime_type,
    state: r.state,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
    totalChunks: r.total_chunks,
    assembledChunks: r.assembled_chunks,
    assembledBytes: r.assembled_bytes,
    outputSegments: r.output_segments,
    outputUploadId: r.output_upload_id,
    chunksDigest: r.chunks_digest,
    sha256: r.sha256,
    partial: r.partial,
    gaps: r.gaps,
    storedBytes: r.stored_bytes,
    durationMs: r.duration_ms,
    seekable: r.seekable,
    servedHead: r.head_length === null || r.head_replaces === null ? null : { length: r.head_length, replaces: r.head_replaces },
    fileSha256: r.file_sha256,
    posterAt: r.poster_at,
  };
}

export interface UserRow {
  id: string;
  name: string;
  created_at: number;
}

export const toUser = (r: UserRow): User => ({ id: r.id, name: r.name, createdAt: r.created_at });

/** Segment columns, named as SegmentReceipt's fields ("end" and "offset" are SQL keywords). */
export const SEGMENT_COLUMNS = 'number, "first", "end", "offset", bytes, etag';
