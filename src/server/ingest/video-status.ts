/** Builds the wire VideoStatus (src/shared/api.ts) from the stored records. */
import { ROUTES, type VideoStatus } from '../../shared/api.ts';
import { missingRanges, toRanges, type IndexRange } from '../../shared/ranges.ts';
import type { ChunkRecord, VideoRecord } from '../storage/metadata-repo.ts';

export function shareUrlOf(publicUrl: string, video: VideoRecord): string {
  return `${publicUrl}${ROUTES.sharePage(video.shareId)}`;
}

export function videoUrlOf(publicUrl: string, video: VideoRecord): string {
  return `${publicUrl}${ROUTES.file(video.id)}`;
}

/**
 * SHA-256 of the bytes /file serves, null until known. The after-completion job records it
 * before the recorded digest, so `fileSha256` is set whenever `sha256` is — except for videos
 * completed before that job existed, served as recorded (`seekable` false or null): theirs is the
 * recorded digest.
 */
export function servedDigestOf(video: VideoRecord): string | null {
  return video.fileSha256 ?? (video.seekable === true ? null : video.sha256);
}

/** Public (share-id) poster URL with a version, so a replaced poster is not served from cache. */
export function posterUrlOf(publicUrl: string, video: VideoRecord): string | null {
  return video.posterAt === null ? null : `${publicUrl}${ROUTES.sharedPoster(video.shareId)}?v=${video.posterAt}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toVideoStatus(video: VideoRecord, chunks: readonly ChunkRecord[], publicUrl: string): VideoStatus {
  const ranges = toRanges(chunks.map((c) => c.index));
  const complete = video.state === 'complete';
  let missing: IndexRange[] = [];
  if (complete) missing = video.gaps;
  else if (video.totalChunks !== null) missing = missingRanges(ranges, video.totalChunks);
  return {
    videoId: video.id,
    sessionId: video.id,
    recordingId: video.recordingId,
    title: video.title,
    mimeType: video.mimeType,
    state: video.state,
    createdAt: iso(video.createdAt),
    updatedAt: iso(video.updatedAt),
    completedAt: video.completedAt === null ? null : iso(video.completedAt),
    totalChunks: video.totalChunks,
    chunks: ranges,
    receivedChunks: chunks.length,
    assembledChunks: video.assembledChunks,
    bytes: video.storedBytes,
    // Recorded digest and layout: null until the after-completion job computed them, typically
    // a second or two after completion; the chunks digest is known at completion.
    sha256: complete ? video.sha256 : null,
    recordedSha256: complete ? video.sha256 : null,
    fileSha256: complete ? servedDigestOf(video) : null,
    chunksDigest: complete ? video.chunksDigest : null,
    durationMs: complete ? video.durationMs : null,
    seekable: complete ? video.seekable : null,
    posterUrl: posterUrlOf(publicUrl, video),
    missing,
    partial: video.partial,
    shareUrl: shareUrlOf(publicUrl, video),
    videoUrl: complete ? videoUrlOf(publicUrl, video) : null,
  };
}

/** `video/webm;codecs=vp9` → `video/webm`: the type a download is served with. */
export function baseMimeType(mimeType: string): string {
  return (mimeType.split(';')[0] ?? '').trim().toLowerCase();
}

export function fileExtension(mimeType: string): string {
  const base = baseMimeType(mimeType);
  if (base === 'video/mp4') return 'mp4';
  if (base === 'video/x-matroska') return 'mkv';
  return 'webm';
}
