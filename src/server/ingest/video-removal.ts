/**
 * Removes every byte a video holds in the stores: the output (an unfinished one is aborted —
 * S3 AbortMultipartUpload — a published one deleted), its chunk objects, its head and poster.
 * Callers hold the video's lock and change the row afterwards (delete, expire): a crash in
 * between leaves a row whose bytes are gone, which the same step finishes when run again — never
 * bytes that no row refers to and nothing would ever remove.
 */
import type { VideoRecord } from '../storage/metadata-repo.ts';
import type { IngestContext } from './context.ts';

export async function removeVideoBytes(ctx: IngestContext, video: VideoRecord): Promise<void> {
  if (video.state === 'open') await ctx.output.abort({ videoId: video.id, uploadId: video.outputUploadId });
  await ctx.output.delete(video.id);
  await ctx.chunks.deleteAll(video.id);
  await ctx.small.deleteAll(video.id);
}
