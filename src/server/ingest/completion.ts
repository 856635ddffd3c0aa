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

/**
 * Advances the output and completes the video when the prefix reaches a known total (also the
 * automatic completion after an incomplete finalize). Returns the video as it then stands.
 */
export async function advanceVideo(ctx: IngestContext, videoId: string, lost: AbortSignal, opts: { inHand?: InHand; video?: VideoRecord } = {}): Promise<VideoRecord | null> {
  const before = opts.video ?? (await ctx.repo.getVideo(videoId));
  if (!before) return null;
  const finished = await finishPartialInFlight(ctx, before, lost);
  if (finished) return finished;
  const video = await advanceOutput(ctx, videoId, { lost, ...opts, video: before });
  if (!video || video.state !== 'open' || lost.aborted) return video;
  if (video.totalChunks === null || video.assembledChunks < video.totalChunks) return video;
  const rows = await ctx.repo.listChunks(videoId);
  const done = await completeOutput(ctx, video, rows, { partial: false, gaps: [] });
  ctx.log.info({ event: 'video/completed', videoId, size: done.assembledBytes, totalChunks: done.totalChunks });
  return done;
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
 * rows are read only after finalize, never on the in-order hot path. Callers hold the lock.
 * A late gap chunk must be refused BEFORE its row is inserted (chunk-ingest calls this under
 * the lock, before either path writes): a new row below the prefix would make the positions
 * look aligned again and hide the state for good.
 */
export async function finishPartialInFlight(ctx: IngestContext, video: VideoRecord, lost: AbortSignal): Promise<VideoRecord | null> {
  if (video.state !== 'open' || video.totalChunks === null || video.assembledChunks === 0) return null;
  // No hole among the rows (finalize with every chunk held, the usual case): nothing to look at.
  const held = await ctx.repo.chunkSummary(video.id);
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

async function completeOutput(ctx: IngestContext, video: VideoRecord, kept: readonly ChunkRecord[], c: { partial: boolean; gaps: IndexRange[] }): Promise<VideoRecord> {
  if (kept.length !== video.assembledChunks) throw new Error(`video ${video.id}: ${kept.length} chunks held, ${video.assembledChunks} in the output`);
  const receipts = await ctx.repo.listSegments(video.id);
  await ctx.output.complete({ videoId: video.id, uploadId: video.outputUploadId }, receipts, video.assembledBytes);
  const chunksDigest = await chunksDigestHex(kept.map((r) => r.sha256));
  const completed = await ctx.repo.completeIf(video.id, video.assembledChunks, {
    sha256: null,
    chunksDigest,
    assembledChunks: video.totalChunks ?? kept.length,
    assembledBytes: video.assembledBytes,
    partial: c.partial,
    gaps: c.gaps,
    now: ctx.clock(),
  });
  const now = await ctx.repo.getVideo(video.id);
  if (!now || now.state !== 'complete') throw new Error(`completion of ${video.id} lost a race (state ${now?.state ?? 'gone'})`);
  if (completed) {
    scheduleAfterCompletion(ctx, video.id);
    // Leftovers only (covered chunks are deleted as their segment is recorded).
    await ctx.chunks.deleteAll(video.id).catch((err: unknown) => ctx.log.warn({ event: 'completion/chunk-cleanup-failed', videoId: video.id, err }));
  }
  return now;
}
