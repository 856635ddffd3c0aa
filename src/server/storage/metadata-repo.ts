import type { IndexRange } from '../../shared/ranges.ts';
import type { OutputLedger, OutputPrefixFields } from './ports.ts';

/**
 * Users, tokens, videos, chunk records and the output ledger (ports.ts). SQLite
 * (sqlite-metadata-repo.ts) and PostgreSQL (postgres/pg-metadata-repo.ts) implement it; both
 * pass tests/server/metadata-repo.contract.ts and tests/server/output-ledger.contract.ts.
 * Methods are async so a networked database fits the same shape. Times are epoch milliseconds
 * from the server's injected clock. Every write resolves only once it is durable (survives a
 * power loss) unless its doc says otherwise; failures reach callers as catalogue ApiErrors.
 */
export interface User {
  id: string;
  name: string;
  createdAt: number;
}

export type VideoStateName = 'open' | 'complete' | 'expired';

export interface VideoRecord extends OutputPrefixFields {
  id: string;
  userId: string;
  recordingId: string;
  shareId: string;
  title: string | null;
  mimeType: string;
  state: VideoStateName;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
  totalChunks: number | null;
  /** SHA-256 of the recorded bytes; null until computed after completion (setRecordedSha256). */
  sha256: string | null;
  partial: boolean;
  /** Indices skipped by a partial completion, as inclusive ranges. */
  gaps: IndexRange[];
  /** Sum of the sizes of the video's recorded chunks (0 once expired): what it counts against quotas. */
  storedBytes: number;
  /** Media length, known once complete and understood (null otherwise). */
  durationMs: number | null;
  /** Whether the served file was made seekable at completion; null before completion. */
  seekable: boolean | null;
  /** The served head (seekable WebM): its length and how many recorded bytes it replaces. */
  servedHead: { length: number; replaces: number } | null;
  /** SHA-256 of the bytes served at /file; null until computed after completion. */
  fileSha256: string | null;
  /** When a poster was stored (null: none). */
  posterAt: number | null;
}

/** What completion learned about the media (seekable-webm.ts). */
export interface MediaLayout {
  durationMs: number | null;
  seekable: boolean;
  servedHead: { length: number; replaces: number } | null;
}

export interface ChunkRecord {
  index: number;
  size: number;
  sha256: string;
}

export interface NewVideo {
  id: string;
  userId: string;
  recordingId: string;
  shareId: string;
  title: string | null;
  mimeType: string;
  now: number;
}

/** What a completion records (OutputLedger.completeIf). */
export interface Completion {
  /** null: computed after completion (setRecordedSha256). */
  sha256: string | null;
  /** SHA-256 over the ordered chunk SHA-256s (src/shared/chunks-digest.ts); completeIf requires it. */
  chunksDigest?: string | null;
  /** Recorded together with the state so a completion is one atomic step. */
  assembledChunks: number;
  assembledBytes: number;
  partial: boolean;
  gaps: IndexRange[];
  now: number;
}

/** The in-order chunk recorded together with its segment (OutputLedger.recordSegment). */
export type InOrderChunk = NonNullable<Parameters<OutputLedger['recordSegment']>[4]>;

/** Per-user limits a write must respect; null = unlimited. */
export interface ByteLimits {
  /** Sum of the user's stored bytes over all their videos. */
  userBytes: number | null;
  /** Stored bytes of this one video. */
  recordingBytes: number | null;
}

export interface Usage {
  /** Stored bytes over all the user's videos. */
  bytes: number;
  /** The user's videos in state `open`. */
  openSessions: number;
}

/** Where a page of the user's video list continues: after this (createdAt, id), newest first. */
export interface VideoCursor {
  createdAt: number;
  id: string;
}

export interface MetadataRepo extends OutputLedger {
  close(): Promise<void>;

  createUser(id: string, name: string, now: number): Promise<User>;
  findUserByName(name: string): Promise<User | null>;
  countUsers(): Promise<number>;
  addToken(userId: string, tokenHash: string, now: number): Promise<void>;
  /** Revokes every live token of the user; returns how many. */
  revokeTokens(userId: string, now: number): Promise<number>;
  findUserByTokenHash(tokenHash: string): Promise<User | null>;

  /**
   * Inserts, or returns the user's existing video with the same recordingId (`created: false`).
   * With `maxOpenSessions`, a new video is refused — ApiError `too_many_open_sessions`, nothing
   * written — when the user already has that many open; the count and the insert are one
   * transaction, so concurrent inits (on any node) cannot both pass.
   */
  createVideo(v: NewVideo, maxOpenSessions?: number | null): Promise<{ video: VideoRecord; created: boolean }>;
  getVideo(id: string): Promise<VideoRecord | null>;
  getVideoByShareId(shareId: string): Promise<VideoRecord | null>;
  /** The user's videos, newest first (ties by id, descending); at most `limit`, after `after`. */
  listVideos(userId: string, page?: { limit: number; after?: VideoCursor | null }): Promise<VideoRecord[]>;
  /** What the user holds now, counted by the database (every node sees the same numbers). */
  usage(userId: string): Promise<Usage>;
  /**
   * Open videos whose last activity is before `updatedBefore`, or that were created before
   * `createdBefore` (a session kept alive by a trickle of chunks still ends).
   */
  listIdleOpenVideos(updatedBefore: number, createdBefore?: number): Promise<VideoRecord[]>;
  listVideosByState(state: VideoStateName): Promise<VideoRecord[]>;
  allVideoIds(): Promise<string[]>;
  touchVideo(id: string, now: number): Promise<void>;
  setTotalChunks(id: string, total: number, now: number): Promise<void>;
  /** Marks the video expired and forgets its chunk records (their bytes are gone). */
  expireVideo(id: string, now: number): Promise<void>;
  deleteVideo(id: string): Promise<void>;

  getChunk(videoId: string, index: number): Promise<ChunkRecord | null>;
  /**
   * Inserts the chunk record, adds its size to the video's storedBytes and bumps updatedAt, in
   * one transaction; false if present. With `limits`, a chunk that would take the video or its
   * user over a limit is refused inside that transaction — ApiError `recording_too_large` or
   * `user_quota_exceeded`, nothing changed — so concurrent uploads cannot both squeeze in.
   */
  insertChunk(videoId: string, chunk: ChunkRecord, now: number, limits?: ByteLimits): Promise<boolean>;
  listChunks(videoId: string): Promise<ChunkRecord[]>;
  /**
   * How many chunks are recorded and the highest index (-1 if none), without loading them:
   * finalize needs only this when every chunk is there, and must stay flat in recording length.
   */
  chunkSummary(videoId: string): Promise<{ count: number; highest: number }>;
  /** Removes the chunk record and takes its size off the video's storedBytes. */
  deleteChunk(videoId: string, index: number): Promise<void>;

  /** Records the media layout, learned after completion (seekable-webm.ts). */
  setMediaLayout(id: string, m: MediaLayout): Promise<void>;
  /** Records the SHA-256 of the served file. */
  setFileSha256(id: string, sha256: string): Promise<void>;
  /** Records that a poster is stored. */
  setPosterAt(id: string, now: number): Promise<void>;
  /** Sets the title (already validated); durable on return. */
  renameVideo(id: string, title: string, now: number): Promise<void>;
}
