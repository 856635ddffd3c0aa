/**
 * The bytes served at /file: the recorded bytes, or for a seekable WebM its head followed by the
 * recorded bytes from the first Cluster on (seekable.ts). Range requests map onto the two parts.
 */
import { Readable } from 'node:stream';
import { ApiError } from '../../shared/errors.ts';
import type { ByteRange } from '../storage/ports.ts';
import type { IngestContext } from './context.ts';
import type { VideoRecord } from '../storage/metadata-repo.ts';

export function servedSize(video: VideoRecord): number {
  const h = video.seekable ? video.servedHead : null;
  return h ? h.length + video.assembledBytes - h.replaces : video.assembledBytes;
}

/**
 * Opens the inclusive `range` of the served file (the caller checked it against servedSize);
 * rejects `not_found` before any byte is produced.
 */
export async function openServed(ctx: IngestContext, video: VideoRecord, range: ByteRange): Promise<Readable> {
  const h = video.seekable ? video.servedHead : null;
  if (!h) return (await ctx.output.open(video.id, range)).body;
  const head = range.start < h.length ? await ctx.small.get(video.id, 'head') : null;
  if (range.start < h.length && !head) throw new ApiError('not_found');
  const rest =
    range.end >= h.length
      ? (await ctx.output.open(video.id, { start: Math.max(range.start, h.length) - h.length + h.replaces, end: range.end - h.length + h.replaces })).body
      : null;
  async function* parts(): AsyncGenerator<Buffer> {
    if (head) yield head.subarray(range.start, Math.min(range.end + 1, h!.length));
    if (rest) yield* rest as AsyncIterable<Buffer>;
  }
  return Readable.from(parts(), { objectMode: false });
}
