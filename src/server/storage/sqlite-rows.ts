/**
 * How SQLite rows of SqliteMetadataRepo become the port's records (booleans are 0/1, gaps JSON).
 */
import type { IndexRange } from '../../shared/ranges.ts';
import type { ChunkRecord, User, VideoRecord, VideoStateName } from './metadata-repo.ts';
import type { SegmentReceipt } from './ports.ts';

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
  partial: number;
  gaps: string;
  duration_ms: number | null;
  seekable: number | null;
  head_length: number | null;
  head_replaces: number | null;
  file_sha256: string | null;
  poster_at: number | null;
  stored_bytes: number;
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
    partial: r.partial === 1,
    gaps: JSON.parse(r.gaps) as IndexRange[],
    storedBytes: r.stored_bytes,
    durationMs: r.duration_ms,
    seekable: r.seekable === null ? null : r.seekable === 1,
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

export interface ChunkRow {
  idx: number;
  size: number;
  sha256: string;
}

export const toChunk = (r: ChunkRow): ChunkRecord => ({ index: r.idx, size: r.size, sha256: r.sha256 });

/** Segment columns, named as SegmentReceipt's fields ("end" and "offset" are SQL keywords). */
export const SEGMENT_COLUMNS = 'number, "first", "end", "offset", bytes, etag';

export type SegmentRow = SegmentReceipt & { etag: string };
