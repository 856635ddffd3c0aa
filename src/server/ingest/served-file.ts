/**
 * The bytes served at /file: the recorded bytes, or for a seekable WebM its head followed by the
 * recorded bytes from the first Cluster on (seekable.ts). Range requests map onto the two parts.
 */
import { Readable } from 'node:stream';
import type { BlobStore, ByteRange } from '../storage/blob-store.ts';
import type { VideoRecord } from '../storage/metadata-repo.ts';

export function servedSize(video: VideoRecord): number {
  const h = video.seekable ? video.servedHead : null;
  return h ? h.length + video.assembledBytes - h.replaces : video.assembledBytes;
}

/** Streams the inclusive `range` of the served file (the caller checked it against servedSize). */
export function readServed(blobs: BlobStore, video: VideoRecord, range: ByteRange): Readable {
  const h = video.seekable ? video.servedHead : null;
  if (!h) return blobs.readAssembled(video.id, range);
  async function* parts(): AsyncGenerator<Buffer> {
    if (range.start < h!.length) {
      const head = await blobs.readServedHead(video.id);
      yield head.subarray(range.start, Math.min(range.end + 1, h!.length));
    }
    if (range.end >= h!.length) {
      const start = Math.max(range.start, h!.length) - h!.length + h!.replaces;
      const end = range.end - h!.length + h!.replaces;
      yield* blobs.readAssembled(video.id, { start, end }) as AsyncIterable<Buffer>;
    }
  }
  return Readable.from(parts(), { objectMode: false });
}
