/**
 * Finalize: the client says how many chunks the recording has. With every chunk held the video
 * completes at once (completion.ts); otherwise the answer lists the missing ranges and the video
 * completes on its own when the last one lands — or now, with the gaps recorded, on
 * `allowPartial`. Idempotent once complete.
 */
import type { FinalizeRequest, FinalizeResponse } from '../../shared/api.ts';
import { ApiError } from '../../shared/errors.ts';
import { countInRanges, missingRanges, toRanges } from '../../shared/ranges.ts';
import type { User, VideoRecord } from '../storage/metadata-repo.ts';
import { advanceVideo, completePartially } from './completion.ts';
import type { IngestContext } from './context.ts';
import { rounded, timed, type StepTimes } from './step-times.ts';
import { ownedVideo } from './videos.ts';
import { servedDigestOf, shareUrlOf, videoUrlOf } from './video-status.ts';

/**
 * The answer for a complete video. Right after completion the recorded sha256, fileSha256, media
 * layout and duration are still null/false (the after-completion job fills them); `chunksDigest`
 * is always there: the client's end-to-end check (docs/API.md "Which digest proves what").
 */
function completeAnswer(ctx: IngestContext, video: VideoRecord): FinalizeResponse {
  const publicUrl = ctx.publicUrl();
  return {
    status: 'complete',
    videoId: video.id,
    videoUrl: videoUrlOf(publicUrl, video),
    shareUrl: shareUrlOf(publicUrl, video),
    size: video.assembledBytes,
    sha256: video.sha256,
    recordedSha256: video.sha256,
    chunksDigest: video.chunksDigest ?? undefined,
    fileSha256: servedDigestOf(video),
    durationMs: video.durationMs,
    seekable: video.seekable === true,
    totalChunks: video.totalChunks ?? 0,
    partial: video.partial,
    missing: video.gaps,
  };
}

export async function finalizeVideo(ctx: IngestContext, user: User, req: FinalizeRequest): Promise<FinalizeResponse> {
  // Beyond the chunk-index limit no chunk could complete it, and the answer's `missing` list
  // would be totalChunks long (2^31 exhausted the heap): refuse before anything is recorded.
  if (req.totalChunks > ctx.config.maxChunkIndex + 1) {
    throw new ApiError('index_out_of_range', { maxChunks: ctx.config.maxChunkIndex + 1 });
  }
  const started = performance.now();
  const owned = await ownedVideo(ctx, user, req.sessionId);
  const asked = performance.now();
  return ctx.locker.withLock(owned.id, async (lost) => {
    // One log event per finalize carries each step's duration (step-times.ts).
    const steps: StepTimes = { ownerMs: asked - started, lockWaitMs: performance.now() - asked };
    const ms = () => rounded({ ...steps, totalMs: performance.now() - started });
    const video = await timed(steps, 'videoReadMs', () => ctx.repo.getVideo(owned.id));
    if (!video) throw new ApiError('not_found');
    if (video.state === 'expired') throw new ApiError('session_expired');
    if (video.totalChunks !== null && video.totalChunks !== req.totalChunks) {
      throw new ApiError('total_mismatch', { totalChunks: video.totalChunks });
    }
    if (video.state === 'complete') return completeAnswer(ctx, video);

    // A summary, not the chunk list: with every chunk there (the usual case), finalize stays
    // flat in recording length up to the chunks digest (32 bytes a chunk).
    const held = await timed(steps, 'summaryMs', () => ctx.repo.chunkSummary(video.id));
    if (held.highest >= req.totalChunks) throw new ApiError('total_mismatch', { highestHeldIndex: held.highest });
    if (req.uploadedChunks !== undefined && req.uploadedChunks !== held.count) {
      ctx.log.info({ event: 'finalize/count-differs', videoId: video.id, clientSays: req.uploadedChunks, serverHolds: held.count });
    }
    const now = ctx.clock();
    if (video.totalChunks === null) await timed(steps, 'setTotalMs', () => ctx.repo.setTotalChunks(video.id, req.totalChunks, now));
    const withTotal: VideoRecord = { ...video, totalChunks: req.totalChunks, updatedAt: Math.max(video.updatedAt, now) };

    const advanced = await advanceVideo(ctx, video.id, lost, { video: withTotal, held, steps });
    if (!advanced) throw new ApiError('not_found');
    if (advanced.state === 'complete') {
      ctx.log.info({ event: 'finalize/complete', videoId: video.id, chunksAtFinalize: advanced.assembledChunks - video.assembledChunks, ms: ms() });
      return completeAnswer(ctx, advanced);
    }

    const chunks = await timed(steps, 'missingListMs', () => ctx.repo.listChunks(video.id));
    // Ranges, never one number per index: 100001 missing chunks answer `[[0, 100000]]`.
    const missing = missingRanges(toRanges(chunks.map((c) => c.index)), req.totalChunks);
    if (req.allowPartial) {
      const done = await timed(steps, 'partialMs', () => completePartially(ctx, video.id, lost));
      ctx.log.warn({ event: 'finalize/partial', videoId: video.id, gaps: countInRanges(missing), ms: ms() });
      return completeAnswer(ctx, done);
    }
    await ctx.repo.touchVideo(video.id, now);
    ctx.log.info({ event: 'finalize/incomplete', videoId: video.id, missing: countInRanges(missing), ms: ms() });
    return { status: 'incomplete', videoId: video.id, totalChunks: req.totalChunks, receivedChunks: chunks.length, missing };
  });
}
