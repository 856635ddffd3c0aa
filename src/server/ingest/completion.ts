/**
 * Completion: the recorded prefix covers every chunk that will count, so the output is published
 * and the video completes in one compare-and-set. O(1) in recording length for the bytes
 * (`output.complete` publishes what is written; disk cuts and flushes, S3 completes the
 * multipart upload from the recorded receipts) and O(chunks × 32 bytes) for the chunks digest,
 * computed from the chunk rows without reading a byte of media. The recorded sha256, the media
 * layout and the served digest are filled in after completion, off the stop-to-link path
 * (after-completion.ts). Callers hold the video's lock.
 */
import { chunksDigestHex } from '../../shared/chunks-digest.ts';
import { missingRanges, toRanges, type IndexRange } from '../../shared/ranges.ts';
import type { ChunkRecord, VideoRecord } from '../storage/metadata-repo.ts';
import { scheduleAfterCompletion } from './after-completion.ts';
import type { IngestContext } from './context.ts';
import { advanceOutput, type InHand } from './segment-assembly.ts';
import { timed, type StepTimes } from './step-times.ts';

/** How many chunk rows a video has and its highest index (MetadataRepo.chunkSummary). */
export type ChunkSummary = Awaited<ReturnType<IngestContext['repo']['chunkSummary']>>;

export interface AdvanceVideoOptions {
  inHand?: InHand;
  /** The video as the caller just read or recorded it under the lock (saves a read). */
  video?: VideoRecord;
  /** The chunk summary the caller just read under the lock (finalize): saves a second one. */
  held?: ChunkSummary;
  /** Filled with each step's duration when given (finalize logs them). */
  steps?: StepTimes;
}

/**
 * Advances the output and completes the video when the prefix reaches a known total (also the
 * automatic completion after an incomplete finalize). Returns the video as it then stands.
 */
export async function advanceVideo(ctx: IngestContext, videoId: string, lost: AbortSignal, opts: AdvanceVideoOptions = {}): Promise<VideoRecord | null> {
  const { steps } = opts;
  const before = opts.video ?? (await ctx.repo.getVideo(videoId));
  if (!before) return null;
  const finished = await timed(steps, 'partialCheckMs', () => finishPartialInFlight(ctx, before, lost, opts.held));
  if (finished) return finished;
  // With the total known, one listing of the rows gives both the run to write and the chunks
  // digest at completion (it is the O(n) read of finalize: one, not two).
  const rows = before.state === 'open' && before.totalChunks !== null ? await timed(steps, 'listRowsMs', () => ctx.repo.listChunks(videoId)) : undefined;
  const video = await timed(steps, 'tailMs', () => advanceOutput(ctx, videoId, { lost, inHand: opts.inHand, video: before, rows }));
  if (steps && video) {
    steps.tailChunks = video.assembledChunks - before.assembledChunks;
    steps.tailBytes = video.assembledBytes - before.assembledBytes;
    steps.partsWritten = video.outputSegments - before.outputSegments;
  }
  if (!video || video.state !== 'open' || lost.aborted) return video;
  if (video.totalChunks === null || video.assembledChunks < video.totalChunks) return video;
  // The listing is reused only if it is exactly the prefix (a row another node inserted or a
  // lost chunk's row deleted since would show here): otherwise the rows are read again.
  const kept = rows && coversPrefix(rows, video.assembledChunks) ? rows : await timed(steps, 'relistMs', () => ctx.repo.listChunks(videoId));
  const done = await completeOutput(ctx, video, kept, { partial: false, gaps: [] }, steps);
  ctx.log.info({ event: 'video/completed', videoId, size: done.assembledBytes, totalChunks: done.totalChunks });
  return done;
}

/** Rows sorted by index, unique: they are indices 0..n-1 exactly when there are n and the last is n-1. */
function coversPrefix(rows: readonly ChunkRecord[], n: number): boolean {
  return rows.length === n && (n === 0 || rows[n - 1]!.index === n - 1);
}

/**
 * Completes with the gaps recorded (finalize's allowPartial): the held chunks after the prefix
 * become the output's tail, gaps skipped. Also finishes such a completion that a crash cut short
 * (isPartialInFlight): the same rows give the same tail.
 */
export async function completePartially(ctx: IngestContext, videoId: string, lost: AbortSignal): Promise<VideoRecord> {
  const before = await ctx.repo.getVideo(videoId);
  if (!before || before.state !== 'open' || before.totalChunks === null) throw new Error(`video ${videoId} cannot complete partially`);
  const rows = (await ctx.repo.listChunks(videoId)).filter((r) => r.index < before.totalChunks!);
  const video = await advanceOutput(ctx, videoId, { lost, video: before, tail: rows.slice(before.assembledChunks) });
  if (!video || video.state !== 'open' || video.assembledChunks !== rows.length) {
    throw new Error(`partial completion of ${videoId} stopped at ${video?.assembledChunks ?? '-'} of ${rows.length} chunks`);
  }
  const gaps = missingRanges(toRanges(rows.map((r) => r.index)), before.totalChunks);
  return completeOutput(ctx, video, rows, { partial: true, gaps });
}

/**
 * A partial completion that a dead node (or one that lost its lock) cut short between its tail
 * and its completion record leaves the prefix counting output positions that skip the gaps:
 * from the first gap on, position ≠ index. Nothing may then advance the output by index (it
 * would write chunks twice, or a late gap chunk into the middle of the tail) — the next lock
 * holder finishes that completion instead, whatever request brought it here: the client chose
 * it with allowPartial. Returns the completed video, or null when `video` is not in that state.
 *
 * Only a video with a known total can be in it (finalize sets the total first), so the chunk
 * rows are read only after finalize, never on the in-order hot path. Callers hold the lock;
 * `summary`, if given, was read under this same lock hold.
 * A late gap chunk must be refused BEFORE its row is inserted (chunk-ingest calls this under
 * the lock, before either path writes): a new row below the prefix would make the positions
 * look aligned again and hide the state for good.
 */
export async function finishPartialInFlight(ctx: IngestContext, video: VideoRecord, lost: AbortSignal, summary?: ChunkSummary): Promise<VideoRecord | null> {
  if (video.state !== 'open' || video.totalChunks === null || video.assembledChunks === 0) return null;
  // No hole among the rows (finalize with every chunk held, the usual case): nothing to look at.
  // A summary read earlier under the same lock hold is still right: while the lock is held no
  // row fills a hole below the prefix (the insert path calls this first), so none appears here.
  const held = summary ?? (await ctx.repo.chunkSummary(video.id));
  if (held.count === held.highest + 1) return null;
  if (!isPartialInFlight(video, await ctx.repo.listChunks(video.id))) return null;
  ctx.log.warn({ event: 'completion/partial-resumed', videoId: video.id, assembledChunks: video.assembledChunks });
  return completePartially(ctx, video.id, lost);
}

/**
 * True when a partial completion wrote past a gap but did not complete (a crash between the two):
 * some index below the recorded prefix has no row. `rows` sorted by index.
 */
export function isPartialInFlight(video: VideoRecord, rows: readonly ChunkRecord[]): boolean {
  if (video.assembledChunks === 0) return false;
  return rows[video.assembledChunks - 1]?.index !== video.assembledChunks - 1;
}

async function completeOutput(
  ctx: IngestContext,
  video: VideoRecord,
  kept: readonly ChunkRecord[],
  c: { partial: boolean; gaps: IndexRange[] },
  steps?: StepTimes,
): Promise<VideoRecord> {
  if (kept.length !== video.assembledChunks) throw new Error(`video ${video.id}: ${kept.length} chunks held, ${video.assembledChunks} in the output`);
  const receipts = await timed(steps, 'receiptsMs', () => ctx.repo.listSegments(video.id));
  await timed(steps, 'completeCallMs', () => ctx.output.complete({ videoId: video.id, uploadId: video.outputUploadId }, receipts, video.assembledBytes));
  const chunksDigest = await timed(steps, 'digestMs', () => chunksDigestHex(kept.map((r) => r.sha256)));
  const completed = await timed(steps, 'recordMs', () =>
    ctx.repo.completeIf(video.id, video.assembledChunks, {
      sha256: null,
      chunksDigest,
      assembledChunks: video.totalChunks ?? kept.length,
      assembledBytes: video.assembledBytes,
      partial: c.partial,
      gaps: c.gaps,
      now: ctx.clock(),
    }),
  );
  const now = await timed(steps, 'recordMs', () => ctx.repo.getVideo(video.id));
  if (!now || now.state !== 'complete') throw new Error(`completion of ${video.id} lost a race (state ${now?.state ?? 'gone'})`);
  if (completed) {
    scheduleAfterCompletion(ctx, video.id);
    // Leftovers only (covered chunks are deleted as their segment is recorded).
    await timed(steps, 'cleanupMs', () =>
      ctx.chunks.deleteAll(video.id).catch((err: unknown) => ctx.log.warn({ event: 'completion/chunk-cleanup-failed', videoId: video.id, err })),
    );
  }
  return now;
}
