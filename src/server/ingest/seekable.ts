/**
 * At completion, decides how the recording is served: with a rewritten head (Segment size,
 * SeekHead, Duration, Cues — src/server/webm) when the WebM index understood every byte up to
 * the end (or up to the first gap of a partial recording), else exactly as received. Never fails
 * a completion: anything unexpected here is logged and the bytes are served as received.
 */
import type { MediaLayout, VideoRecord } from '../storage/metadata-repo.ts';
import { ClusterIndexer } from '../webm/cluster-indexer.ts';
import { buildSeekableHead } from '../webm/seekable-head.ts';
import { baseMimeType } from './video-status.ts';
import type { IngestContext } from './context.ts';

const AS_RECORDED: MediaLayout = { durationMs: null, seekable: false, servedHead: null };

/** `video.assembledBytes` is the complete recorded length. Records the layout durably. */
export async function settleMediaLayout(ctx: IngestContext, video: VideoRecord): Promise<MediaLayout> {
  const layout = await decide(ctx, video);
  await ctx.repo.setMediaLayout(video.id, layout);
  return layout;
}

async function decide(ctx: IngestContext, video: VideoRecord): Promise<MediaLayout> {
  const mime = baseMimeType(video.mimeType);
  if (mime !== 'video/webm' && mime !== 'video/x-matroska') {
    ctx.log.warn({ event: 'webm/served-as-recorded', videoId: video.id, reason: `not WebM (${mime})` });
    return AS_RECORDED;
  }
  try {
    const indexer = new ClusterIndexer();
    if (video.assembledBytes > 0) for await (const buf of (await ctx.output.open(video.id, { start: 0, end: video.assembledBytes - 1 })).body) indexer.feed(buf as Buffer);
    const outcome = indexer.finish();
    if (!outcome.ok) {
      ctx.log.warn({ event: 'webm/served-as-recorded', videoId: video.id, reason: outcome.reason });
      return AS_RECORDED;
    }
    const head = buildSeekableHead(outcome.index, video.assembledBytes);
    await ctx.small.put(video.id, 'head', head.head);
    ctx.log.info({ event: 'webm/seekable', videoId: video.id, durationMs: head.durationMs, cuePoints: head.cuePoints, headBytes: head.head.length });
    return { durationMs: head.durationMs, seekable: true, servedHead: { length: head.head.length, replaces: head.replaces } };
  } catch (err) {
    ctx.log.warn({ event: 'webm/served-as-recorded', videoId: video.id, reason: 'rewrite failed', err });
    return AS_RECORDED;
  }
}
