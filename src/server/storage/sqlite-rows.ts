/**
 * How SQLite rows of SqliteMetadataRepo become the port's records (booleans are 0/1, gaps JSON).
 */
import type { IndexRange } from '../../shared/ranges.ts';
import type { ChunkRecord, VideoRecord } from './metadata-repo.ts';
import { toVideo as decodedToVideo, type VideoRow as DecodedVideoRow } from './rows.ts';
import type { SegmentReceipt } from './ports.ts';

/** A videos row as better-sqlite3 returns it: booleans as 0/1, gaps as JSON text. */
export type VideoRow = Omit<DecodedVideoRow, 'partial' | 'gaps' | 'seekable'> & { partial: number; gaps: string; seekable: number | null };

export const toVideo = (r: VideoRow): VideoRecord =>
  decodedToVideo({ ...r, partial: r.partial === 1, gaps: JSON.parse(r.gaps) as IndexRange[], seekable: r.seekable === null ? null : r.seekable === 1 });

export { toUser, type UserRow } from './rows.ts';

export interface ChunkRow {
  idx: number;
  size: number;
  sha256: string;
}

export const toChunk = (r: ChunkRow): ChunkRecord => ({ index: r.idx, size: r.size, sha256: r.sha256 });

export type SegmentRow = SegmentReceipt & { etag: string };
