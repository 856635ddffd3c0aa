/**
 * init, status, list and delete: the video operations that are not chunk ingest or finalize.
 * Per-user isolation: a video of another user is answered exactly like a missing one (404).
 */
import type { InitRequest, VideoStatus } from '../../shared/api.ts';
import { ApiError } from '../../shared/errors.ts';
import { isServerId, newId } from '../ids.ts';
import type { User, VideoRecord } from '../storage/metadata-repo.ts';
import type { IngestContext } from './context.ts';
import { toVideoStatus } from './video-status.ts';

/** The user's video or 404 `not_found` — never a hint that someone else's exists. */
export async function ownedVideo(ctx: IngestContext, user: User, id: string): Promise<VideoRecord> {
  if (!isServerId(id)) throw new ApiError('not_found');
  const video = await ctx.repo.getVideo(id);
  if (!video || video.userId !== user.id) throw new ApiError('not_found');
  return video;
}

export async function statusOf(ctx: IngestContext, video: VideoRecord): Promise<VideoStatus> {
  return toVideoStatus(video, await ctx.repo.listChunks(video.id), ctx.publicUrl());
}

/** Creates the video (and its share URL) before any chunk arrives; idempotent by recordingId. */
export async function initVideo(ctx: IngestContext, user: User, req: InitRequest): Promise<{ created: boolean; status: VideoStatus }> {
  const { video, created } = await ctx.repo.createVideo({
    id: newId(),
    userId: user.id,
    recordingId: req.recordingId,
    shareId: newId(),
    title: req.title ?? null,
    mimeType: req.mimeType,
    now: ctx.clock(),
  });
  if (created) ctx.log.info({ event: 'video/created', videoId: video.id, userId: user.id });
  return { created, status: await statusOf(ctx, video) };
}

export async function listVideos(ctx: IngestContext, user: User): Promise<VideoStatus[]> {
  const videos = await ctx.repo.listVideos(user.id);
  return Promise.all(videos.map((v) => statusOf(ctx, v)));
}

/** Removes the rows first, then the bytes: a crash in between leaves orphan files recovery deletes. */
export async function deleteVideo(ctx: IngestContext, user: User, id: string): Promise<void> {
  const video = await ownedVideo(ctx, user, id);
  await ctx.locks.run(video.id, async () => {
    await ctx.repo.deleteVideo(video.id);
    ctx.assembler.forget(video.id);
    await ctx.blobs.deleteVideo(video.id);
  });
  ctx.log.info({ event: 'video/deleted', videoId: video.id, userId: user.id });
}
