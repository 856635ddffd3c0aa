/**
 * Incremental assembly: after each verified chunk, the contiguous prefix of held chunks is
 * appended in index order to the video's assembled object, so finalize only appends the tail
 * (DESIGN.md "Assemble incrementally"). Callers hold the video's lock.
 *
 * The SHA-256 of the assembled object is kept running by the Sha256Service (a worker thread in
 * production, hashing/worker-sha256.ts), fed each chunk once its append is committed, so no
 * failed append ever reaches it. Node's crypto Hash cannot be serialised, so it is not
 * persisted: after a restart, a failed append or a lost worker it is recomputed once by reading
 * the assembled object back, O(assembled bytes) once per video per process. The alternative — a
 * hand-written SHA-256 with exportable state — was not worth its risk.
 *
 * Order of effects per chunk: append + fsync (with its append-journal record), then record
 * (assembledChunks, assembledBytes), then delete the chunk's file. A crash between any two leaves
 * state recovery can repair (recovery.ts): a longer file is re-adopted where the journal
 * verifies it, else truncated to the recorded length; a leftover file is deleted.
 *
 * `appendVerified` is the in-order fast path: the chunk's verified bytes, held in
 * memory, are written once into the assembled file, the running hash is fed from the same
 * memory (no read-back), and the chunk record plus the new prefix are committed in one
 * transaction.
 *
 * Each appended byte also goes, in order, through a WebM cluster indexer (src/server/webm), kept
 * with the running hash and rebuilt with it from the same read-back, so finalize has the
 * recording's Cues and duration without reading it again (`mediaIndex`).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Sha256Service } from '../hashing/sha256-service.ts';
import type { BlobStore, StagedChunk } from '../storage/blob-store.ts';
import type { ByteLimits, MetadataRepo, VideoRecord } from '../storage/metadata-repo.ts';
import { ClusterIndexer, type IndexOutcome } from '../webm/cluster-indexer.ts';

/** A running hash is rebuilt in steps of this many bytes, each awaited (bounded memory in flight). */
const REBUILD_STEP_BYTES = 16 * 1024 * 1024;

interface Running {
  /** Bytes of the assembled object fed to the service's running hash (key: video id). */
  bytes: number;
  /** The same bytes' WebM index. */
  index: ClusterIndexer;
}

export interface AdvanceResult {
  video: VideoRecord;
  appendedChunks: number;
  appendedBytes: number;
}

export class Assembler {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly repo: MetadataRepo,
    private readonly blobs: BlobStore,
    private readonly clock: () => number,
    private readonly log: FastifyBaseLogger,
    /** Also hashes served files after completion (served-digest.ts), under keys of their own. */
    readonly sha256: Sha256Service,
  ) {}

  private async runningHash(video: VideoRecord): Promise<Running> {
    const cached = this.running.get(video.id);
    if (cached && cached.bytes === video.assembledBytes) return cached;
    this.running.delete(video.id);
    this.sha256.reset(video.id);
    const index = new ClusterIndexer();
    if (video.assembledBytes > 0) {
      const stream = this.blobs.readAssembled(video.id, { start: 0, end: video.assembledBytes - 1 });
      let unsettled: Promise<void>[] = [];
      let unsettledBytes = 0;
      for await (const buf of stream as AsyncIterable<Buffer>) {
        unsettled.push(this.sha256.update(video.id, buf));
        index.feed(buf);
        unsettledBytes += buf.length;
        if (unsettledBytes >= REBUILD_STEP_BYTES) {
          await Promise.all(unsettled);
          unsettled = [];
          unsettledBytes = 0;
        }
      }
      await Promise.all(unsettled);
      this.log.info({ event: 'assembly/hash-recomputed', videoId: video.id, bytes: video.assembledBytes });
    }
    const fresh = { bytes: video.assembledBytes, index };
    this.running.set(video.id, fresh);
    return fresh;
  }

  private async appendOne(video: VideoRecord, run: Running, index: number, expectedSize: number): Promise<number> {
    const read: Buffer[] = [];
    const n = await this.blobs.appendChunkToAssembled(video.id, index, (buf) => read.push(buf));
    if (n !== expectedSize) {
      await this.blobs.truncateAssembled(video.id, run.bytes);
      throw new Error(`chunk ${index} of ${video.id} has ${n} bytes on disk, ${expectedSize} recorded`);
    }
    await Promise.all(read.map((buf) => this.sha256.update(video.id, buf)));
    for (const buf of read) run.index.feed(buf);
    run.bytes += n;
    return n;
  }

  /**
   * Fast path: `staged` (verified, staged in memory) is chunk `video.assembledChunks`; writes it
   * at the end of the assembled object and records chunk + prefix in one commit. On any failure
   * nothing is kept: the file is cut back and the running hash rebuilt on next use.
   *
   * `fed` settles once the running hash has read the staged bytes; the answer need not wait for
   * it (the service keeps calls in order, so the next chunk or finalize sees this one), but the
   * staged memory may only be reused after it (StagedChunk.release).
   */
  async appendVerified(video: VideoRecord, staged: StagedChunk, limits?: ByteLimits): Promise<{ video: VideoRecord; fed: Promise<unknown> }> {
    if (!staged.bytes || staged.index !== video.assembledChunks) throw new Error('appendVerified needs the next chunk, staged in memory');
    const run = await this.runningHash(video);
    const now = this.clock();
    const bytes = run.bytes + staged.size;
    try {
      await this.blobs.appendToAssembled(video.id, staged.index, staged.bytes, run.bytes, staged.sha256);
      const chunk = { index: staged.index, size: staged.size, sha256: staged.sha256 };
      if (!(await this.repo.insertAssembledChunk(video.id, chunk, bytes, now, limits))) {
        throw new Error(`chunk ${staged.index} of ${video.id} was recorded meanwhile`);
      }
    } catch (err) {
      this.running.delete(video.id);
      await this.blobs.truncateAssembled(video.id, run.bytes).catch(() => {});
      throw err;
    }
    const fed = Promise.all(staged.bytes.map((buf) => this.sha256.update(video.id, buf)));
    for (const buf of staged.bytes) run.index.feed(buf);
    run.bytes = bytes;
    return { video: { ...video, assembledChunks: staged.index + 1, assembledBytes: bytes, updatedAt: Math.max(video.updatedAt, now) }, fed };
  }

  /** Appends every held chunk from assembledChunks on while the run is contiguous (and < total). */
  async advance(video: VideoRecord): Promise<AdvanceResult> {
    const run = await this.runningHash(video);
    let current = video;
    let appendedChunks = 0;
    let appendedBytes = 0;
    for (;;) {
      const index = current.assembledChunks;
      if (current.totalChunks !== null && index >= current.totalChunks) break;
      const chunk = await this.repo.getChunk(video.id, index);
      if (!chunk) break;
      let n: number;
      try {
        n = await this.appendOne(current, run, index, chunk.size);
      } catch (err) {
        this.running.delete(video.id);
        throw err;
      }
      const now = this.clock();
      await this.repo.setAssembled(video.id, index + 1, run.bytes, now);
      current = { ...current, assembledChunks: index + 1, assembledBytes: run.bytes, updatedAt: Math.max(current.updatedAt, now) };
      await this.blobs.deleteChunk(video.id, index);
      appendedChunks++;
      appendedBytes += n;
    }
    return { video: current, appendedChunks, appendedBytes };
  }

  /**
   * For a partial completion: appends the held chunks after the prefix, skipping gaps, without
   * recording anything; the caller records the completion atomically with the returned length.
   * Chunk files are left for the caller to delete after that record is durable.
   */
  async appendRemaining(video: VideoRecord, indices: readonly number[]): Promise<{ bytes: number; appendedBytes: number }> {
    const run = await this.runningHash(video);
    // Past the first gap the bytes start mid-cluster: the index covers the prefix only.
    run.index.stopAtGap();
    let appendedBytes = 0;
    try {
      for (const index of indices) {
        const chunk = await this.repo.getChunk(video.id, index);
        if (!chunk) throw new Error(`chunk ${index} of ${video.id} vanished during partial completion`);
        appendedBytes += await this.appendOne(video, run, index, chunk.size);
      }
    } catch (err) {
      this.running.delete(video.id);
      await this.blobs.truncateAssembled(video.id, video.assembledBytes);
      throw err;
    }
    return { bytes: run.bytes, appendedBytes };
  }

  /** The WebM index of the assembled object as it stands (`video.assembledBytes` long). */
  async mediaIndex(video: VideoRecord): Promise<IndexOutcome> {
    return (await this.runningHash(video)).index.finish();
  }

  /** SHA-256 (hex) of the assembled object as it stands. */
  async digest(video: VideoRecord): Promise<string> {
    // Twice at most: a worker lost between the rebuild and the peek loses the rebuild too.
    for (let attempt = 0; ; attempt++) {
      await this.runningHash(video);
      const hex = await this.sha256.peek(video.id);
      if (hex !== null) return hex;
      this.running.delete(video.id);
      if (attempt === 1) throw new Error(`running SHA-256 of ${video.id} was lost twice`);
    }
  }

  forget(videoId: string): void {
    this.running.delete(videoId);
    this.sha256.drop(videoId);
  }
}
