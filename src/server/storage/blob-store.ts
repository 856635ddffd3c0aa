/**
 * Where chunk and video bytes live. The filesystem store implements it now; an S3-compatible
 * store can later (aggregating chunks into ≥ 5 MiB parts, see DESIGN.md) and must pass the same
 * contract suite (tests/server/blob-store.contract.ts).
 *
 * Lifecycle of a chunk: `stageChunk` streams the body to a private temp object while hashing and
 * counting it and makes it durable; nothing is visible yet. `commitChunk` publishes it atomically
 * under (videoId, index); `discardStaged` throws it away. Published chunks are appended in index
 * order to the video's assembled object and then deleted.
 *
 * Fast path: a chunk that will be the next one appended is staged `inMemory` (hashed and held
 * in memory, ≤ the chunk limit) and, once verified, written once with `appendToAssembled` — no
 * temp object, no read-back. Every append (both paths) also writes an append-journal record,
 * durable together with the bytes (`readAppendJournal`); why, and what recovery does with it:
 * docs/API.md "Durability and recovery".
 *
 * Implementations translate their own failures once: out of space → ApiError
 * `insufficient_storage` (with nothing half-written kept), size over the limit → `chunk_too_large`.
 */
import type { Readable } from 'node:stream';
import type { AppendRecord } from './append-journal.ts';

export type { AppendRecord } from './append-journal.ts';

export interface StagedChunk {
  readonly videoId: string;
  readonly index: number;
  readonly size: number;
  /** Lowercase hex SHA-256 of the bytes as received. */
  readonly sha256: string;
  /** Opaque handle of the temp object; null when the bytes were only hashed (`hashOnly`). */
  readonly tempKey: string | null;
  /** The bytes as received, when staged `inMemory` (then tempKey is null). */
  readonly bytes?: readonly Buffer[];
  /**
   * Gives the memory behind `bytes` back for reuse; the owner calls it once every use of the
   * bytes has been awaited, and must not touch them afterwards.
   */
  readonly release?: () => void;
}

export interface StageOptions {
  /** Abort with `chunk_too_large` once more than this many bytes arrived. */
  maxBytes: number;
  /** Only hash and count (e.g. to compare a re-sent chunk with the held one); store nothing. */
  hashOnly?: boolean;
  /** Hash and keep the bytes in memory instead of a temp object (for `appendToAssembled`). */
  inMemory?: boolean;
  /** The declared Content-Length, to size the in-memory buffer once. */
  expectedBytes?: number;
  signal?: AbortSignal;
}

export interface ByteRange {
  /** Inclusive. */
  start: number;
  /** Inclusive. */
  end: number;
}

export interface BlobStore {
  /** Creates directories/buckets; idempotent. */
  init(): Promise<void>;
  stageChunk(videoId: string, index: number, body: Readable, opts: StageOptions): Promise<StagedChunk>;
  commitChunk(staged: StagedChunk): Promise<void>;
  discardStaged(staged: StagedChunk): Promise<void>;
  hasChunk(videoId: string, index: number): Promise<boolean>;
  /** Size of a published chunk, or null when absent. */
  chunkSize(videoId: string, index: number): Promise<number | null>;
  /** Indices of the published chunks of a video (any order). */
  listChunks(videoId: string): Promise<number[]>;
  deleteChunk(videoId: string, index: number): Promise<void>;
  /**
   * Appends a published chunk to the end of the assembled object and makes it durable; every
   * appended buffer is passed to `onBytes` (the caller keeps the running SHA-256).
   * On failure the assembled object is cut back to its previous length. Returns bytes appended.
   */
  appendChunkToAssembled(videoId: string, index: number, onBytes: (buf: Buffer) => void): Promise<number>;
  /**
   * Writes verified bytes (a chunk staged `inMemory`) at offset `at` of the assembled object —
   * cutting off anything beyond `at` first — plus its journal record, and makes both durable.
   * On failure both are cut back and nothing is kept. Callers hold the video's lock.
   */
  appendToAssembled(videoId: string, index: number, bytes: readonly Buffer[], at: number, sha256: string): Promise<void>;
  /** The video's append-journal records, oldest first ([] when none). */
  readAppendJournal(videoId: string): Promise<AppendRecord[]>;
  /** Length of the assembled object (0 when absent). */
  assembledSize(videoId: string): Promise<number>;
  /** Cuts the assembled object back to `size` bytes (crash recovery). */
  truncateAssembled(videoId: string, size: number): Promise<void>;
  /** Streams the assembled object, whole or one inclusive byte range. */
  readAssembled(videoId: string, range?: ByteRange): Readable;
  /** Removes every chunk and the assembled object of a video. */
  deleteVideo(videoId: string): Promise<void>;
  /** Video ids that have any stored data (to find orphans after a crash). */
  listVideos(): Promise<string[]>;
  /** Releases what the store holds open (e.g. cached append handles); called at shutdown. */
  close?(): Promise<void>;
  /** Removes staged temp objects left by a crash; returns how many. */
  removeLeftoverTemps(): Promise<number>;

  /**
   * Seekable WebM (src/server/webm): stores `head`, a few KB written once at completion, that the
   * served file starts with in place of the recorded bytes before the first Cluster (the caller
   * records how many). Durable when resolved; replaces any earlier head. The assembled object is
   * never rewritten, so it stays byte-equal to what was recorded. A store that holds the first
   * part of the object back (S3 multipart) may instead splice the head into that part.
   */
  writeServedHead(videoId: string, head: Buffer): Promise<void>;
  /** The head written by writeServedHead (not_found ApiError when absent). */
  readServedHead(videoId: string): Promise<Buffer>;
  /** Stores the poster image (≤ 512 KiB, validated by the caller), durably, replacing any earlier one. */
  writePoster(videoId: string, bytes: Buffer): Promise<void>;
  /** The poster, or null when none is stored. */
  readPoster(videoId: string): Promise<Buffer | null>;
}
