/**
 * Streams a complete video's served bytes (ingest/served-file.ts) with Range support. Content-Type is the video's
 * base type (never the client's full string with parameters), and nosniff is set globally, so a
 * crafted upload cannot be rendered as HTML.
 *
 * The stores are opened before the status line is chosen: an object that is missing or a store
 * that cannot be reached answers 404 / 503 with the catalogue body, never a 200 whose body stops.
 */
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../shared/errors.ts';
import type { VideoRecord } from '../storage/metadata-repo.ts';
import { baseMimeType, fileExtension, servedDigestOf } from '../ingest/video-status.ts';
import { parseRange } from './range.ts';
import { openServed, servedSize, type ServedStores } from '../ingest/served-file.ts';

function safeFilename(video: VideoRecord): string {
  const stem = (video.title ?? '').replace(/[^A-Za-z0-9 ._-]+/g, '').trim().slice(0, 80) || `outbox-${video.id}`;
  return `${stem}.${fileExtension(video.mimeType)}`;
}

export async function sendVideo(request: FastifyRequest, reply: FastifyReply, ctx: ServedStores, video: VideoRecord, cacheControl: string): Promise<FastifyReply> {
  if (video.state !== 'complete') throw new ApiError('video_not_ready', { state: video.state });
  const size = servedSize(video);
  const range = parseRange(request.headers.range, size);
  if (range.kind === 'unsatisfiable') throw new ApiError('range_not_satisfiable', { size });
  const head = request.method === 'HEAD';
  const span = range.kind === 'partial' ? { start: range.start, end: range.end } : { start: 0, end: size - 1 };
  // Every part is opened first (served-file.ts), for HEAD too: its answer must be GET's.
  const body = size === 0 ? null : await openServed(ctx, video, span);
  reply
    .header('accept-ranges', 'bytes')
    .header('content-type', baseMimeType(video.mimeType))
    .header('content-disposition', `inline; filename="${safeFilename(video)}"`)
    .header('cache-control', cacheControl);
  // A strong validator of exactly the served bytes, once known; none before (the layout and
  // hence the bytes change when the after-completion job has decided it).
  const digest = servedDigestOf(video);
  if (digest !== null) reply.header('etag', `"${digest}"`);
  if (range.kind === 'partial') {
    reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${size}`).header('content-length', String(range.end - range.start + 1));
  } else {
    reply.code(200).header('content-length', String(size));
  }
  if (head) {
    body?.destroy();
    return sendHead(reply);
  }
  if (body === null) return reply.send();
  return reply.send(body);
}

/**
 * RFC 9110 §9.3.2: HEAD answers the headers GET would, Content-Length included. Fastify's
 * automatic HEAD route sets `content-length: 0` for an empty payload but keeps ours when the
 * payload is a stream (it drains it and sends no body), so the answer is an empty stream.
 */
function sendHead(reply: FastifyReply): FastifyReply {
  return reply.send(Readable.from([]));
}
