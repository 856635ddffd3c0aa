/**
 * The bytes served at /file: the recorded bytes (the output, `OutputWriter.open`), or for a
 * seekable WebM its head (`SmallObjects` 'head', written after completion by
 * after-completion.ts) followed by the recorded bytes from the first Cluster on. Range requests
 * map onto the two parts. Until the after-completion job decided the layout (`seekable` null),
 * the file is served as recorded.
 */
import { PassThrough, Readable } from 'node:stream';
import { ApiError } from '../../shared/errors.ts';
import type { VideoRecord } from '../storage/metadata-repo.ts';
import type { ByteRange, OutputWriter, SmallObjects } from '../storage/ports.ts';

export interface ServedStores {
  output: Pick<OutputWriter, 'open'>;
  small: Pick<SmallObjects, 'get'>;
}

export function servedSize(video: VideoRecord): number {
  const h = video.seekable ? video.servedHead : null;
  return h ? h.length + video.assembledBytes - h.replaces : video.assembledBytes;
}

/**
 * Opens the inclusive `range` of the served file (the caller checked it against servedSize).
 * Every store is opened before this resolves: a missing object rejects here (ApiError
 * `not_found`, or the store's `service_unavailable`) while the HTTP answer can still be an error,
 * never a 200 cut short.
 */
export async function openServed(stores: ServedStores, video: VideoRecord, range: ByteRange): Promise<Readable> {
  const h = video.seekable ? video.servedHead : null;
  if (!h) return (await stores.output.open(video.id, range)).body;
  let head: Buffer | null = null;
  if (range.start < h.length) {
    const whole = await stores.small.get(video.id, 'head');
    if (whole === null) throw new ApiError('not_found');
    if (whole.length !== h.length) throw new Error(`served head of ${video.id} is ${whole.length} bytes, recorded ${h.length}`);
    head = whole.subarray(range.start, Math.min(range.end + 1, h.length));
  }
  let body: Readable | null = null;
  if (range.end >= h.length) {
    const start = Math.max(range.start, h.length) - h.length + h.replaces;
    const end = range.end - h.length + h.replaces;
    body = (await stores.output.open(video.id, { start, end })).body;
  }
  if (!head) return body!;
  if (!body) return Readable.from([head], { objectMode: false });
  // Head, then the recorded bytes piped through: the answer ends in the tick the store's stream
  // ends (an async generator here ended a few ticks after the last byte, long enough for a client
  // to have its whole answer while the server still counted the request as in flight).
  const out = new PassThrough();
  out.write(head);
  body.once('error', (err) => out.destroy(err));
  out.once('close', () => body.destroy());
  return body.pipe(out);
}
