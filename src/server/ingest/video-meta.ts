/**
 * Rename and poster: the user-facing metadata of a video, per user (another user's video is 404).
 */
import { ApiError } from '../../shared/errors.ts';
import type { User, VideoRecord } from '../storage/metadata-repo.ts';
import type { IngestContext } from './context.ts';
import { ownedVideo } from './videos.ts';

export const MAX_POSTER_BYTES = 512 * 1024;
export const MAX_TITLE_LENGTH = 200;

/**
 * Control characters would break logs and headers; bidi embeddings/overrides/isolates
 * (U+202A–U+202E, U+2066–U+2069) let a title display reversed text ("Trojan Source",
 * CVE-2021-42574) on the share page and in link previews.
 */
const FORBIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

/** The title to store, or `validation_failed`: trimmed, 1–200 characters, nothing forbidden. */
export function cleanTitle(raw: string): string {
  const title = raw.trim();
  const length = [...title].length;
  if (length < 1 || length > MAX_TITLE_LENGTH) throw new ApiError('validation_failed', { field: 'title', reason: 'length', min: 1, max: MAX_TITLE_LENGTH });
  if (FORBIDDEN.test(title)) throw new ApiError('validation_failed', { field: 'title', reason: 'forbidden character' });
  return title;
}

export async function renameVideo(ctx: IngestContext, user: User, id: string, rawTitle: string): Promise<VideoRecord> {
  const title = cleanTitle(rawTitle);
  const video = await ownedVideo(ctx, user, id);
  return ctx.locker.withLock(video.id, async () => {
    const now = ctx.clock();
    await ctx.repo.renameVideo(video.id, title, now);
    ctx.log.info({ event: 'video/renamed', videoId: video.id });
    return (await ctx.repo.getVideo(video.id))!;
  });
}

/** JPEG files start with an SOI marker followed by another marker (ISO/IEC 10918-1 B.1.1.2). */
export function isJpeg(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/**
 * Stores the poster (SmallObjects 'poster': a reader sees the old one or the new one). Not counted
 * in the user's quota: one per video, at most MAX_POSTER_BYTES, replaced in place — counting it
 * would need its size in the video row (storedBytes is the recorded chunks' sum).
 */
export async function storePoster(ctx: IngestContext, user: User, id: string, bytes: Buffer): Promise<VideoRecord> {
  if (bytes.length > MAX_POSTER_BYTES || !isJpeg(bytes)) throw new ApiError('poster_invalid', { maxBytes: MAX_POSTER_BYTES });
  const video = await ownedVideo(ctx, user, id);
  if (video.state === 'expired') throw new ApiError('session_expired');
  return ctx.locker.withLock(video.id, async () => {
    await ctx.small.put(video.id, 'poster', bytes);
    await ctx.repo.setPosterAt(video.id, ctx.clock());
    ctx.log.info({ event: 'video/poster-stored', videoId: video.id, bytes: bytes.length });
    return (await ctx.repo.getVideo(video.id))!;
  });
}
