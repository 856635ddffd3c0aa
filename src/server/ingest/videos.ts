/**
 * init, status, list and delete: the video operations that are not chunk ingest or finalize.
 * Per-user isolation: a video of another user is answered exactly like a missing one (404).
 */
import type { InitRequest, VideoList, VideoStatus } from '../../shared/api.ts';
import { ApiError } from '../../shared/errors.ts';
import { isServerId, newId } from '../ids.ts';
import type { User, VideoCursor, VideoRecord } from '../storage/metadata-repo.ts';
import type { IngestContext } from './context.ts';
import { toVideoStatus } from './video-status.ts';
import { removeVideoBytes } from './video-removal.ts';

/** The user's video or 404 `not_found` — never a hint that someone else's exists. */
export async function ownedVideo(ctx: IngestContext, user: User, id: string): Promise<VideoRecord> {
  if (!isServerId(id)) throw new ApiError('not_found');
  const video = await ctx.repo.getVideo(id);
  if (!video || video.userId !== user.id) throw new ApiError('not_found');
  return video;
}

/** The wire VideoStatus of a stored video (its chunk rows give the held ranges). */
export async function loadVideoStatus(ctx: IngestContext, video: VideoRecord): Promise<VideoStatus> {
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
  }, ctx.config.maxOpenSessions);
  if (created) ctx.log.info({ event: 'video/created', videoId: video.id, userId: user.id });
  return { created, status: await loadVideoStatus(ctx, video) };
}

/** One page of the user's videos, newest first; `cursor` is the previous page's `nextCursor`. */
export async function listVideos(ctx: IngestContext, user: User, limit: number, cursor: string | undefined): Promise<VideoList> {
  const after = cursor === undefined ? null : decodeCursor(cursor);
  // One more than asked tells whether another page follows, without a count.
  const rows = await ctx.repo.listVideos(user.id, { limit: limit + 1, after });
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    videos: await Promise.all(page.map((v) => loadVideoStatus(ctx, v))),
    nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

/** Opaque to clients: base64url of "createdAt:id" (the keyset the repository pages by). */
function encodeCursor(c: VideoCursor): string {
  return Buffer.from(`${c.createdAt}:${c.id}`).toString('base64url');
}

function decodeCursor(cursor: string): VideoCursor {
  const m = /^(\d{1,16}):([A-Za-z0-9_-]{22})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!m) throw new ApiError('validation_failed', { issues: [{ path: 'cursor', message: 'malformed cursor' }] });
  return { createdAt: Number(m[1]), id: m[2]! };
}

/**
 * Bytes first, then the rows (video-removal.ts), under the video's lock: a crash in between
 * leaves a video whose delete the client repeats, never bytes nothing refers to.
 */
export async function deleteVideo(ctx: IngestContext, user: User, id: string): Promise<void> {
  const video = await ownedVideo(ctx, user, id);
  await ctx.locker.withLock(video.id, async () => {
    const current = await ctx.repo.getVideo(video.id);
    if (!current) return;
    await removeVideoBytes(ctx, current);
    await ctx.repo.deleteVideo(video.id);
  });
  ctx.log.info({ event: 'video/deleted', videoId: video.id, userId: user.id });
}
