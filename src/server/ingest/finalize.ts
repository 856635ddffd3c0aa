/**
 * Finalize and completion. Called with the video's lock held (except `finalizeVideo`, which
 * takes it). Completion is one atomic metadata update after every byte is appended and fsynced.
 */
import type { FinalizeRequest, FinalizeResponse } from '../../shared/api.ts';
import { ApiError } from '../../shared/errors.ts';
import { countInRanges, missingRanges, toRanges, type IndexRange } from '../../shared/ranges.ts';
import type { User, VideoRecord } from '../storage/metadata-repo.ts';
import type { IngestContext } from './context.ts';
import { ownedVideo } from './videos.ts';
import { servedDigestOf, shareUrlOf, videoUrlOf } from './video-status.ts';
import { settleMediaLayout } from './seekable.ts';
import { scheduleServedDigestLater } from './served-digest.ts';

function completeAnswer(ctx: IngestContext, video: VideoRecord): FinalizeResponse {
  const publicUrl = ctx.publicUrl();
  return {
    status: 'complete',
    videoId: video.id,
    videoUrl: videoUrlOf(publicUrl, video),
    shareUrl: shareUrlOf(publicUrl, video),
    size: video.assembledBytes,
    sha256: video.sha256 ?? '',
    ...mediaFields(video),
    totalChunks: video.totalChunks ?? 0,
    partial: video.partial,
    missing: video.gaps,
  };
}

const SERVED_DIGEST_DELAY_MS = 500;

/** The seekable-WebM and digest fields of a complete answer (docs/API.md "Which digest proves what"). */
function mediaFields(video: VideoRecord) {
  return { recordedSha256: video.sha256 ?? '', fileSha256: servedDigestOf(video), durationMs: video.durationMs, seekable: video.seekable === true };
}

async function markComplete(ctx: IngestContext, video: VideoRecord, partial: boolean, gaps: IndexRange[], assembledChunks: number, bytes: number): Promise<VideoRecord> {
  const probe = { ...video, assembledBytes: bytes };
  const sha256 = await ctx.assembler.digest(probe);
  const media = await settleMediaLayout(ctx, probe);
  const now = ctx.clock();
  await ctx.repo.completeVideo(video.id, { sha256, partial, gaps, now, assembledChunks, assembledBytes: bytes });
  ctx.assembler.forget(video.id);
  const done: VideoRecord = { ...probe, ...media, state: 'complete', sha256, partial, gaps, assembledChunks, completedAt: now, updatedAt: Math.max(video.updatedAt, now) };
  // Off the stop-to-link path: the answer goes out first (served-digest.ts).
  scheduleServedDigestLater(ctx, done, SERVED_DIGEST_DELAY_MS);
  return done;
}

/**
 * Appends whatever contiguous prefix is held and completes the video when the prefix reaches a
 * known totalChunks (this is also the automatic completion after an incomplete finalize).
 * Returns the updated record and the bytes this call appended.
 */
export async function advanceVideo(ctx: IngestContext, video: VideoRecord): Promise<{ video: VideoRecord; appendedBytes: number; appendedChunks: number }> {
  const adv = await ctx.assembler.advance(video);
  let current = adv.video;
  if (current.state === 'open' && current.totalChunks !== null && current.assembledChunks >= current.totalChunks) {
    current = await markComplete(ctx, current, false, [], current.totalChunks, current.assembledBytes);
    ctx.log.info({ event: 'video/completed', videoId: current.id, size: current.assembledBytes, totalChunks: current.totalChunks });
  }
  return { video: current, appendedBytes: adv.appendedBytes, appendedChunks: adv.appendedChunks };
}

export async function finalizeVideo(ctx: IngestContext, user: User, req: FinalizeRequest): Promise<FinalizeResponse> {
  // Beyond the chunk-index limit no chunk could complete it, and the answer's `missing` list
  // would be totalChunks long (2^31 exhausted the heap): refuse before anything is recorded.
  if (req.totalChunks > ctx.config.maxChunkIndex + 1) {
    throw new ApiError('index_out_of_range', { maxChunks: ctx.config.maxChunkIndex + 1 });
  }
  const owned = await ownedVideo(ctx, user, req.sessionId);
  return ctx.locks.run(owned.id, async () => {
    const video = await ctx.repo.getVideo(owned.id);
    if (!video) throw new ApiError('not_found');
    if (video.state === 'expired') throw new ApiError('session_expired');
    if (video.totalChunks !== null && video.totalChunks !== req.totalChunks) {
      throw new ApiError('total_mismatch', { totalChunks: video.totalChunks });
    }
    if (video.state === 'complete') return completeAnswer(ctx, video);

    // A summary, not the chunk list: with every chunk there (the usual case), finalize stays
    // O(1) in recording length: the time from stop to link must not grow with the recording.
    const held = await ctx.repo.chunkSummary(video.id);
    if (held.highest >= req.totalChunks) throw new ApiError('total_mismatch', { highestHeldIndex: held.highest });
    if (req.uploadedChunks !== undefined && req.uploadedChunks !== held.count) {
      ctx.log.info({ event: 'finalize/count-differs', videoId: video.id, clientSays: req.uploadedChunks, serverHolds: held.count });
    }
    const now = ctx.clock();
    if (video.totalChunks === null) await ctx.repo.setTotalChunks(video.id, req.totalChunks, now);
    const withTotal: VideoRecord = { ...video, totalChunks: req.totalChunks, updatedAt: Math.max(video.updatedAt, now) };

    const adv = await advanceVideo(ctx, withTotal);
    if (adv.video.state === 'complete') {
      ctx.log.info({ event: 'finalize/complete', videoId: video.id, appendedAtFinalizeBytes: adv.appendedBytes, appendedAtFinalizeChunks: adv.appendedChunks });
      return completeAnswer(ctx, adv.video);
    }

    const chunks = await ctx.repo.listChunks(video.id);
    // Ranges, never one number per index: 100001 missing chunks answer `[[0, 100000]]`.
    const missing = missingRanges(toRanges(chunks.map((c) => c.index)), req.totalChunks);
    if (req.allowPartial) {
      const rest = chunks.map((c) => c.index).filter((i) => i >= adv.video.assembledChunks);
      const { bytes, appendedBytes } = await ctx.assembler.appendRemaining(adv.video, rest);
      const done = await markComplete(ctx, adv.video, true, missing, req.totalChunks, bytes);
      // Chunk files go only after the completion record is durable (recovery relies on it).
      for (const i of rest) await ctx.blobs.deleteChunk(video.id, i);
      ctx.log.warn({ event: 'finalize/partial', videoId: video.id, gaps: countInRanges(missing), appendedAtFinalizeBytes: adv.appendedBytes + appendedBytes });
      return completeAnswer(ctx, done);
    }
    await ctx.repo.touchVideo(video.id, now);
    ctx.log.info({ event: 'finalize/incomplete', videoId: video.id, missing: countInRanges(missing) });
    return { status: 'incomplete', videoId: video.id, totalChunks: req.totalChunks, receivedChunks: chunks.length, missing };
  });
}
