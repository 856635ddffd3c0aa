/**
 * The storage ports of the scale-out design (docs/SCALE-OUT.md §3). Ingest decides —
 * verification, order, which bytes form the output, digests, what is missing — and these stores
 * only store. Two pairs implement them: local disk + SQLite (the embedded default, one node) and
 * S3 + PostgreSQL (many stateless nodes). One contract suite per port runs against every
 * implementation (tests/server/*.contract.ts).
 *
 * Promises every implementation keeps:
 * - Every method is async; a resolved write is durable (survives a crash of this node and of
 *   the store's own process). Nothing is ever half-visible: a reader sees the old state or the
 *   new one.
 * - Each backend maps its own failures to the catalogue (src/shared/errors.ts) inside the
 *   backend: out of space → `insufficient_storage`, unreachable/throttled → `service_unavailable`
 *   (with Retry-After), absent → `not_found`. Ingest never sees an errno or an S3 error name.
 * - No store keeps state that decides anything: the metadata repository is the truth (which
 *   chunks count, how long the output's prefix is, which segments it has). Bytes a store holds
 *   that no row refers to are garbage, removed by the expiry sweeper or overwritten — never
 *   "recovered" by guessing, and never deleted at start-up (another node may be writing them).
 *
 * Exclusion across nodes: `Locker` (locker.ts) serialises the steps of one video; the
 * metadata repository's compare-and-set methods (`recordSegment`, `completeIf`) keep state
 * right even if a paused node outlives its lock.
 */
import type { Readable } from 'node:stream';
import type { IndexRange } from '../../shared/ranges.ts';

export type { Locker } from './locker.ts';

/** An inclusive byte range (HTTP Range semantics). */
export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** A verified chunk's identity. The SHA-256 is part of the key: different bytes never collide. */
export interface ChunkRef {
  videoId: string;
  index: number;
  /** Lowercase hex SHA-256 of the bytes, already verified by ingest. */
  sha256: string;
}

/**
 * Verified bytes to store: held in memory, or in a node-local temp file ingest wrote and
 * verified (large or out-of-order bodies are not held in memory) and flushed to stable storage
 * before handing it over (chunk-body.ts), so a store that renames it needs to flush only the
 * new name. The store may move the file (disk: rename on the same filesystem) or stream it
 * (S3: PutObject with ContentLength); the caller deletes the path afterwards if it still exists.
 */
export type ChunkBody = { size: number; buffers: readonly Buffer[] } | { size: number; path: string };

/**
 * Chunk bytes that are not (yet) part of a recorded output segment. Disk: one file per chunk;
 * S3: one object per chunk, key `chunks/<videoId>/<index>-<sha256>`.
 *
 * Keys include the SHA-256, so two nodes storing different bytes for one index never overwrite
 * each other and the same bytes stored twice are the same object: `put` is idempotent without a
 * conditional write. Which one counts is decided by the chunk row (MetadataRepo.insertChunk);
 * ingest deletes the loser's object.
 */
export interface ChunkObjects {
  /** Creates directories / checks the bucket; idempotent. */
  init(): Promise<void>;
  /** Stores the bytes durably. */
  put(ref: ChunkRef, body: ChunkBody): Promise<void>;
  /** The bytes, whole (≤ the chunk limit). Rejects ApiError `not_found` when absent. */
  get(ref: ChunkRef): Promise<Buffer[]>;
  /**
   * Optional: the bytes of several chunks in one request, in the order asked (a segment of small
   * chunks is hundreds of them). Rejects `not_found` if any is absent. PostgreSQL: one query.
   */
  getMany?(refs: readonly ChunkRef[]): Promise<Buffer[][]>;
  /** Removes one object; absent is fine. */
  delete(ref: ChunkRef): Promise<void>;
  /** Removes every chunk object of the video (any index, any digest); absent is fine. */
  deleteAll(videoId: string): Promise<void>;
  /**
   * Optional: removes the objects of videos that are no longer open (a put that lost a race
   * with a delete or a completion on another node), for the expiry sweeper; returns how many.
   * A store that can ask the metadata cheaply (PostgreSQL: one statement) implements it.
   */
  deleteOrphans?(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Where a video's output is being written. Disk: `uploadId` is null (one file per video).
 * S3: the multipart upload's id, created by `begin` and kept in the video's row
 * (MetadataRepo.setOutputHandle) so any node can continue it.
 */
export interface OutputHandle {
  videoId: string;
  uploadId: string | null;
}

/**
 * One segment of the output: a run of whole chunks at positions [first, end) of the output
 * order (the chunk indices when there are no gaps; a partial completion's last segment skips the
 * gaps). `offset` is where its bytes start in the output, `bytes` how many.
 * Disk: one segment per chunk. S3: one multipart part (`number` = part number, ≥ 5 MiB but the
 * last — src/server/storage/s3/part-planner.ts).
 */
export interface SegmentPlan {
  number: number;
  first: number;
  end: number;
  offset: number;
  bytes: number;
}

/** A written segment, as recorded in the metadata (S3: the part's ETag; disk: null). */
export interface SegmentReceipt extends SegmentPlan {
  etag: string | null;
}

/**
 * The assembled output, written as ordered segments of whole verified chunks. The writer says
 * how it wants them cut (`plan`, pure and deterministic: every node plans the same segments
 * from the same facts); ingest supplies the bytes and records each receipt in the metadata with
 * a compare-and-set on the prefix. State is never read back from the store (never complete from
 * a listing of parts — tusd#204).
 */
export interface OutputWriter {
  init(): Promise<void>;
  /** Starts an output (S3: CreateMultipartUpload). Idempotent per call, not per video: the
   * caller records the handle with a compare-and-set and aborts its own if another won. */
  begin(videoId: string): Promise<OutputHandle>;
  /**
   * The segments to write now, in order, pure and deterministic. `prefix`: what is recorded
   * (the video row's assembledChunks, assembledBytes, outputSegments); `sizes`: the chunks held
   * from position `prefix.chunks` on, in output order (only the contiguous run the caller has);
   * `final`: the recording is complete, so the tail is planned too whatever its size.
   * Disk: one segment per chunk. S3: the part planner's parts (each ≥ 5 MiB but the last).
   */
  plan(prefix: { chunks: number; bytes: number; segments: number }, sizes: readonly number[], final: boolean): SegmentPlan[];
  /**
   * Writes one planned segment; durable when it resolves. Writing the same plan again (a node
   * died between write and record) rewrites the same bytes in the same place: idempotent.
   */
  write(h: OutputHandle, seg: SegmentPlan, bytes: readonly Buffer[]): Promise<SegmentReceipt>;
  /**
   * Publishes the output: `receipts` are every recorded receipt with an ETag, in number order
   * (S3: CompleteMultipartUpload from them, never from a listing; disk: none), `size` the
   * recorded prefix's bytes (disk: the file is cut to it and flushed — bytes a crashed write
   * left past the prefix go). O(1) in recording length. Idempotent: completing an already
   * completed output succeeds. An output with no segment is published empty.
   */
  complete(h: OutputHandle, receipts: readonly SegmentReceipt[], size: number): Promise<void>;
  /** Drops an unfinished output (S3: AbortMultipartUpload; NoSuchUpload counts as done). */
  abort(h: OutputHandle): Promise<void>;
  /**
   * Opens the published output, whole or one range. Rejects ApiError `not_found` BEFORE any
   * byte is produced (the HTTP layer sends headers only after this resolves).
   */
  open(videoId: string, range?: ByteRange): Promise<{ size: number; body: Readable }>;
  /** Removes the published output; absent is fine. */
  delete(videoId: string): Promise<void>;
  close(): Promise<void>;
}

/** Small whole objects of a video: the served head of a seekable WebM, the poster. */
export type SmallObjectName = 'head' | 'poster';

export interface SmallObjects {
  init(): Promise<void>;
  /** Durable on return; a reader sees the old object or the new one, never a torn one. */
  put(videoId: string, name: SmallObjectName, bytes: Buffer): Promise<void>;
  /** null when absent. */
  get(videoId: string, name: SmallObjectName): Promise<Buffer | null>;
  deleteAll(videoId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * How far a video's output is written: the prefix recorded in its metadata row. Fields to be
 * added to VideoRecord (metadata-repo.ts) by migration 4 on both engines.
 */
export interface OutputPrefixFields {
  /** Chunks (output positions) covered by recorded segments: today's `assembledChunks`. */
  assembledChunks: number;
  /** Bytes covered by recorded segments: today's `assembledBytes`. */
  assembledBytes: number;
  /** How many segments are recorded (the next segment's number is this + 1). */
  outputSegments: number;
  /** The output's S3 multipart upload id; null before `begin` and on disk. */
  outputUploadId: string | null;
  /** SHA-256 over the ordered chunk SHA-256s (src/shared/chunks-digest.ts), set at completion. */
  chunksDigest: string | null;
}

/**
 * The compare-and-set steps ingest needs across nodes, added to MetadataRepo (SQLite and
 * PostgreSQL alike, one contract suite: tests/server/output-ledger.contract.ts). Each method is
 * one transaction; PostgreSQL follows the lock order of postgres/pg-limits.ts (user row → video
 * row → chunk rows).
 */
export interface OutputLedger {
  /**
   * Records the output handle iff none is recorded yet and the video is open. False: another
   * node recorded one first (the caller aborts its own and re-reads the video).
   */
  setOutputHandle(videoId: string, uploadId: string): Promise<boolean>;
  /**
   * Records a written segment and advances the prefix, iff the video is open and its
   * `assembledChunks` still equals `expectChunks`: assembledChunks = seg.end, assembledBytes =
   * seg.offset + seg.bytes, outputSegments + 1, updatedAt = now. A receipt with an ETag is kept
   * as a row (listSegments); one without (disk) is not — the prefix is all disk needs.
   * With `chunk`, the chunk's row is inserted in the same transaction (the in-order fast path:
   * written straight into the output, never stored as a chunk object), with `limits` checked as
   * insertChunk checks them (ApiError, nothing changed). Returns false, changing nothing, when
   * the prefix moved, the video is not open, or `chunk` is already recorded.
   */
  recordSegment(
    videoId: string,
    seg: SegmentReceipt,
    expectChunks: number,
    now: number,
    chunk?: { index: number; size: number; sha256: string; limits?: { userBytes: number | null; recordingBytes: number | null } },
  ): Promise<boolean>;
  /** Receipts with an ETag, by number. */
  listSegments(videoId: string): Promise<SegmentReceipt[]>;
  /**
   * open → complete iff the video is still open with `assembledChunks === expectChunks`:
   * records the completion (as completeVideo does) with `chunksDigest`; `sha256` may be null
   * (computed after completion, setRecordedDigests). False and nothing changed otherwise.
   */
  completeIf(
    videoId: string,
    expectChunks: number,
    c: {
      sha256: string | null;
      chunksDigest: string;
      assembledChunks: number;
      assembledBytes: number;
      partial: boolean;
      gaps: IndexRange[];
      now: number;
    },
  ): Promise<boolean>;
  /** Records the recorded bytes' SHA-256, computed after completion (no-op if already set). */
  setRecordedSha256(videoId: string, sha256: string): Promise<void>;
  /**
   * Complete videos still lacking their after-completion work (recorded sha256, media layout,
   * served digest), oldest completion first, at most `limit`: any node can pick them up.
   */
  listCompletedPending(limit: number): Promise<string[]>;
}
