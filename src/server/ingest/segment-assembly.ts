/**
 * Advances a video's output: the held chunks that continue the recorded prefix are written as
 * the segments the OutputWriter plans, each recorded in the metadata with a compare-and-set on
 * the prefix (OutputLedger.recordSegment). The database is the truth: bytes a store holds past
 * the recorded prefix are ignored and rewritten — a node that died between `output.write` and
 * `recordSegment` left exactly the segment the next advance plans again (plans are
 * deterministic), so the rewrite is idempotent and nothing is "recovered" by guessing.
 *
 * Callers hold the video's lock (Locker). The lock is a performance device: if it is `lost`
 * mid-way no new write starts, and a write already in flight is fenced by recordSegment.
 */
import { ApiError } from '../../shared/errors.ts';
import type { ChunkRecord, VideoRecord } from '../storage/metadata-repo.ts';
import type { OutputHandle, SegmentPlan } from '../storage/ports.ts';
import type { IngestContext } from './context.ts';

/** Chunk bytes this request already holds in memory, by index (no read-back from the store). */
export type InHand = ReadonlyMap<number, readonly Buffer[]>;

export interface AdvanceOptions {
  lost: AbortSignal;
  inHand?: InHand;
  /** The video as the caller just read or recorded it under the lock (saves a read). */
  video?: VideoRecord;
  /**
   * Partial completion: the held chunks from the prefix on, in output order with the gaps
   * skipped (output positions ≠ indices there), planned as the final tail.
   */
  tail?: readonly ChunkRecord[];
  /**
   * The video's chunk rows (listChunks) as the caller just read them, total known: the run is
   * taken from them instead of a second listing (completion reuses the same rows for its digest).
   */
  rows?: readonly ChunkRecord[];
}

/** A begin race lost to another node is retried this often before giving up until next time. */
const HANDLE_ATTEMPTS = 3;

export function prefixOf(video: VideoRecord): { chunks: number; bytes: number; segments: number } {
  return { chunks: video.assembledChunks, bytes: video.assembledBytes, segments: video.outputSegments };
}

/** Writes and records what can be written now; returns the video as it then stands (null: gone). */
export async function advanceOutput(ctx: IngestContext, videoId: string, opts: AdvanceOptions): Promise<VideoRecord | null> {
  let video = opts.video ?? (await ctx.repo.getVideo(videoId));
  for (let attempt = 0; attempt < HANDLE_ATTEMPTS; attempt++) {
    if (!video || video.state !== 'open' || opts.lost.aborted) return video;
    if (!opts.tail && video.totalChunks === null && !worthScanning(ctx, video)) return video;
    const run = opts.tail ?? (await contiguousRun(ctx, video, opts.rows));
    if (run.length === 0) return video;
    // The tail is planned whatever its size once the run reaches the end of the recording.
    const final = opts.tail !== undefined || (video.totalChunks !== null && video.assembledChunks + run.length >= video.totalChunks);
    const plan = ctx.output.plan(prefixOf(video), run.map((c) => c.size), final);
    if (plan.length === 0) return video;
    const handle = await outputHandle(ctx, video);
    if (handle) return writePlanned(ctx, video, handle, plan, run, opts);
    video = await ctx.repo.getVideo(videoId);
  }
  return video;
}

/**
 * Whether the held chunks could make the writer plan a segment at all. Every chunk row not yet
 * in the output counts in `storedBytes − assembledBytes` (rows ahead of a hole too), so if the
 * writer plans nothing for all of them as one run, it plans nothing for the contiguous part of
 * them: no row need be read. On S3 this is what keeps an in-order chunk O(1) while a part is
 * gathering (5 MiB is ~450 chunks at a low bitrate, and scanning them on every chunk made ingest
 * quadratic in the part); disk plans a segment per chunk, so it always scans (one row).
 */
function worthScanning(ctx: IngestContext, video: VideoRecord): boolean {
  const pending = video.storedBytes - video.assembledBytes;
  return pending > 0 && ctx.output.plan(prefixOf(video), [pending], false).length > 0;
}

/** Row look-ups in flight at once while scanning a run (the metadata pool has 10 connections). */
const SCAN_BATCH = 8;

/**
 * The held chunk rows from the prefix on while contiguous (and below a known total). With the
 * total known (finalize, and the late chunks after it) one listing of the rows is one round trip
 * whatever the tail's length — finalize reads them all for the chunks digest anyway, and passes
 * its listing as `listed`. Before, the rows are looked up by index in small parallel batches
 * (growing from one), stopping at the first hole.
 */
async function contiguousRun(ctx: IngestContext, video: VideoRecord, listed?: readonly ChunkRecord[]): Promise<ChunkRecord[]> {
  const from = video.assembledChunks;
  if (video.totalChunks !== null) {
    const run: ChunkRecord[] = [];
    for (const row of listed ?? (await ctx.repo.listChunks(video.id))) {
      if (row.index < from) continue;
      if (row.index !== from + run.length || row.index >= video.totalChunks) break;
      run.push(row);
    }
    return run;
  }
  const run: ChunkRecord[] = [];
  for (;;) {
    const at = from + run.length;
    // 1, 2, … SCAN_BATCH at a time: the usual run is short (nothing, or the next chunk or two).
    const size = Math.min(SCAN_BATCH, run.length + 1);
    const batch = await Promise.all(Array.from({ length: size }, (_, k) => ctx.repo.getChunk(video.id, at + k)));
    for (const row of batch) {
      if (!row) return run;
      run.push(row);
    }
  }
}

/**
 * The output's handle. Disk has none (uploadId null, nothing to record). S3: the first writer
 * creates the multipart upload and records its id with a compare-and-set; null means another
 * node recorded one first (ours is aborted and the caller re-reads the video).
 */
export async function outputHandle(ctx: IngestContext, video: VideoRecord): Promise<OutputHandle | null> {
  if (video.outputUploadId !== null || video.outputSegments > 0) return { videoId: video.id, uploadId: video.outputUploadId };
  const h = await ctx.output.begin(video.id);
  if (h.uploadId === null || (await ctx.repo.setOutputHandle(video.id, h.uploadId))) return h;
  await ctx.output.abort(h).catch((err: unknown) => ctx.log.warn({ event: 'assembly/abort-failed', videoId: video.id, err }));
  return null;
}

async function writePlanned(
  ctx: IngestContext,
  video: VideoRecord,
  handle: OutputHandle,
  plan: readonly SegmentPlan[],
  run: readonly ChunkRecord[],
  opts: AdvanceOptions,
): Promise<VideoRecord | null> {
  let expect = video.assembledChunks;
  for (const seg of plan) {
    if (opts.lost.aborted) break;
    const covered = run.slice(seg.first - video.assembledChunks, seg.end - video.assembledChunks);
    const bytes = await bytesOf(ctx, video.id, covered, opts.inHand);
    if (!bytes) break;
    const receipt = await ctx.output.write(handle, seg, bytes);
    if (!(await ctx.repo.recordSegment(video.id, receipt, expect, ctx.clock()))) {
      ctx.log.info({ event: 'assembly/raced', videoId: video.id, segment: seg.number, expectChunks: expect });
      break;
    }
    expect = seg.end;
    // Recorded: the output holds these bytes now, the chunk objects are garbage.
    await Promise.all(covered.map((c) => ctx.chunks.delete({ videoId: video.id, index: c.index, sha256: c.sha256 }))).catch((err: unknown) =>
      ctx.log.warn({ event: 'assembly/chunk-delete-failed', videoId: video.id, err }),
    );
  }
  return ctx.repo.getVideo(video.id);
}

/**
 * The covered chunks' bytes, from memory or the chunk store. A row whose object is gone (a store
 * that lost it) is dropped so the client sees the index missing and sends it again; null then.
 */
async function bytesOf(ctx: IngestContext, videoId: string, covered: readonly ChunkRecord[], inHand: InHand | undefined): Promise<Buffer[] | null> {
  if (ctx.chunks.getMany) {
    const stored = covered.filter((c) => !inHand?.has(c.index));
    try {
      const got = await ctx.chunks.getMany(stored.map((c) => ({ videoId, index: c.index, sha256: c.sha256 })));
      const byIndex = new Map(stored.map((c, k) => [c.index, got[k]!]));
      return covered.flatMap((c) => [...(inHand?.get(c.index) ?? byIndex.get(c.index)!)]);
    } catch (err) {
      // Which one is missing: found below, one at a time.
      if (!(err instanceof ApiError && err.code === 'not_found')) throw err;
    }
  }
  const parts: (readonly Buffer[] | null)[] = new Array(covered.length).fill(null);
  let missing: ChunkRecord | null = null;
  let next = 0;
  // A few reads in flight: a part of small chunks is hundreds of rows, one round trip each.
  const reader = async () => {
    while (next < covered.length && !missing) {
      const k = next++;
      const c = covered[k]!;
      const held = inHand?.get(c.index);
      if (held) {
        parts[k] = held;
        continue;
      }
      try {
        parts[k] = await ctx.chunks.get({ videoId, index: c.index, sha256: c.sha256 });
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'not_found')) throw err;
        missing ??= c;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_PARALLEL, covered.length) }, reader));
  if (missing) {
    ctx.log.error({ event: 'assembly/chunk-missing', videoId, index: (missing as ChunkRecord).index });
    await ctx.repo.deleteChunk(videoId, (missing as ChunkRecord).index);
    return null;
  }
  return parts.flatMap((p) => p!);
}

/** Chunk reads in flight at once while gathering a segment (PgChunkObjects' pool has 8). */
const READ_PARALLEL = 6;
