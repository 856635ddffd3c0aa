/**
 * Decides how a complete recording is served: with a rewritten head (Segment size, SeekHead,
 * Duration, Cues — src/server/webm) when the WebM index understood every byte up to the end (or
 * up to the first gap of a partial recording), else exactly as received. Pure: the
 * after-completion job (after-completion.ts) feeds the indexer while it hashes the recorded bytes
 * and stores what this decides. Never fails a recording: anything not understood is served as
 * received, with a `webm/served-as-recorded` warning.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ChunkRecord, MediaLayout, VideoRecord } from '../storage/metadata-repo.ts';
import type { IndexOutcome } from '../webm/cluster-indexer.ts';
import { buildSeekableHead } from '../webm/seekable-head.ts';
import { baseMimeType } from './video-status.ts';

export const AS_RECORDED: MediaLayout = { durationMs: null, seekable: false, servedHead: null };

/** Whether the recording's type is one the WebM indexer may understand. */
export function mayIndex(video: VideoRecord): boolean {
  const mime = baseMimeType(video.mimeType);
  return mime === 'video/webm' || mime === 'video/x-matroska';
}

/**
 * How many recorded bytes the index covers: all of them, or for a partial recording the bytes
 * before its first gap — the held chunks below the gap, in index order, are the output's prefix
 * (a partial completion's output skips the gaps, ports.ts SegmentPlan).
 */
export function indexedLength(video: VideoRecord, chunks: readonly ChunkRecord[]): number {
  const firstGap = video.gaps.length > 0 ? Math.min(...video.gaps.map((g) => g[0])) : null;
  if (firstGap === null) return video.assembledBytes;
  let bytes = 0;
  for (const c of chunks) if (c.index < firstGap) bytes += c.size;
  return bytes;
}

export interface Decision {
  layout: MediaLayout;
  /** The served head to store before the layout is recorded (seekable only). */
  head: Buffer | null;
}

/** The layout from the index of the recorded bytes (null: not WebM, never indexed). */
export function decideLayout(video: VideoRecord, outcome: IndexOutcome | null, log: FastifyBaseLogger): Decision {
  if (outcome === null) {
    log.warn({ event: 'webm/served-as-recorded', videoId: video.id, reason: `not WebM (${baseMimeType(video.mimeType)})` });
    return { layout: AS_RECORDED, head: null };
  }
  if (!outcome.ok) {
    log.warn({ event: 'webm/served-as-recorded', videoId: video.id, reason: outcome.reason });
    return { layout: AS_RECORDED, head: null };
  }
  try {
    const head = buildSeekableHead(outcome.index, video.assembledBytes);
    log.info({ event: 'webm/seekable', videoId: video.id, durationMs: head.durationMs, cuePoints: head.cuePoints, headBytes: head.head.length });
    return {
      layout: { durationMs: head.durationMs, seekable: true, servedHead: { length: head.head.length, replaces: head.replaces } },
      head: head.head,
    };
  } catch (err) {
    log.warn({ event: 'webm/served-as-recorded', videoId: video.id, reason: 'rewrite failed', err });
    return { layout: AS_RECORDED, head: null };
  }
}
