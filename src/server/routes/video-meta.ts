/**
 * PATCH /api/v1/videos/:id (rename), PUT/GET /api/v1/videos/:id/poster (authenticated), and the
 * public poster by share id (`ROUTES.sharedPoster`: the JPEG, or a neutral image when none was
 * uploaded — for the share page, its Open Graph card and the library's thumbnails).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { API_PREFIX, RenameRequest } from '../../shared/api.ts';
import { ApiError } from '../../shared/errors.ts';
import { NEUTRAL_POSTER } from '../assets/neutral-poster.ts';
import { requireUser } from '../http/auth.ts';
import { parseOr400 } from '../http/validate.ts';
import type { IngestContext } from '../ingest/context.ts';
import { MAX_POSTER_BYTES, renameVideo, storePoster } from '../ingest/video-meta.ts';
import { ownedVideo, loadVideoStatus } from '../ingest/videos.ts';
import { isServerId } from '../ids.ts';

const IdParams = z.object({ id: z.string() });
const ShareParams = z.object({ shareId: z.string() });

export async function videoMetaRoutes(app: FastifyInstance, opts: { ctx: IngestContext }): Promise<void> {
  const { ctx } = opts;
  app.addContentTypeParser('image/jpeg', { parseAs: 'buffer', bodyLimit: MAX_POSTER_BYTES }, (_req, body, done) => done(null, body));

  app.patch(`${API_PREFIX}/videos/:id`, async (request) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    const { title } = parseOr400(RenameRequest, request.body);
    return loadVideoStatus(ctx, await renameVideo(ctx, user, id, title));
  });

  app.put(`${API_PREFIX}/videos/:id/poster`, async (request) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    if (!Buffer.isBuffer(request.body)) throw new ApiError('poster_invalid', { maxBytes: MAX_POSTER_BYTES });
    return loadVideoStatus(ctx, await storePoster(ctx, user, id, request.body));
  });

  app.get(`${API_PREFIX}/videos/:id/poster`, async (request, reply) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    const video = await ownedVideo(ctx, user, id);
    const bytes = video.posterAt === null ? null : await ctx.small.get(video.id, 'poster');
    if (!bytes) throw new ApiError('not_found');
    return reply.type('image/jpeg').header('cache-control', 'private, no-cache').send(bytes);
  });

  app.get(`${API_PREFIX}/shared/:shareId/poster`, async (request, reply) => {
    const { shareId } = ShareParams.parse(request.params);
    const video = isServerId(shareId) ? await ctx.repo.getVideoByShareId(shareId) : null;
    if (!video || video.state === 'expired') throw new ApiError('not_found');
    const bytes = (video.posterAt === null ? null : await ctx.small.get(video.id, 'poster')) ?? NEUTRAL_POSTER;
    // Link-preview crawlers fetch og:image from other origins.
    reply.header('cross-origin-resource-policy', 'cross-origin');
    return reply.type('image/jpeg').header('cache-control', 'public, max-age=300').send(bytes);
  });
}
