/**
 * Public sharing, no authentication: the share page `/s/:shareId` (share-page.ts) and its file `/api/v1/shared/:shareId/file`.
 * The share id is a separate unguessable 128-bit id, so the video id never leaks publicly.
 * Only complete videos are served; an unknown or malformed id is 404 like any other.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../../shared/errors.ts';
import { isServerId } from '../ids.ts';
import { sendVideo } from '../http/send-video.ts';
import { PATTERNS } from './patterns.ts';
import { notFoundPage, sharePage, uploadingPage } from './share-page.ts';
import type { IngestContext } from '../ingest/context.ts';
import type { VideoRecord } from '../storage/metadata-repo.ts';

const Params = z.object({ shareId: z.string() });

async function findShared(ctx: IngestContext, shareId: string): Promise<VideoRecord | null> {
  if (!isServerId(shareId)) return null;
  return ctx.repo.getVideoByShareId(shareId);
}

export function registerShareRoutes(app: FastifyInstance, ctx: IngestContext): void {
  app.get(PATTERNS.sharePage, async (request, reply) => {
    const { shareId } = Params.parse(request.params);
    const video = await findShared(ctx, shareId);
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache');
    if (!video || video.state === 'expired') return reply.code(404).send(notFoundPage());
    if (video.state !== 'complete') return reply.send(uploadingPage(video));
    return reply.send(sharePage(video, ctx.publicUrl()));
  });

  app.get(PATTERNS.sharedFile, async (request, reply) => {
    const { shareId } = Params.parse(request.params);
    const video = await findShared(ctx, shareId);
    if (!video || video.state === 'expired') throw new ApiError('not_found');
    return sendVideo(request, reply, ctx, video, 'public, max-age=0, must-revalidate');
  });
}
