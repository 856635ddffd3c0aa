/** JSON routes: me, init, finalize, status, list, delete, and the authenticated file. */
import type { FastifyInstance } from 'fastify';
import { FinalizeRequest, InitRequest, type MeResponse, ROUTES, VIDEO_PAGE_DEFAULT, VideoListQuery } from '../../shared/api.ts';
import { z } from 'zod';
import { requireUser } from '../http/auth.ts';
import { PATTERNS } from './patterns.ts';
import { sendVideo } from '../http/send-video.ts';
import { parseOr400 } from '../http/validate.ts';
import type { IngestContext } from '../ingest/context.ts';
import { finalizeVideo } from '../ingest/finalize.ts';
import { deleteVideo, initVideo, listVideos, ownedVideo, loadVideoStatus } from '../ingest/videos.ts';

const IdParams = z.object({ id: z.string() });

export function registerVideoRoutes(app: FastifyInstance, ctx: IngestContext): void {
  app.get(ROUTES.me, async (request): Promise<MeResponse> => {
    const user = requireUser(request);
    const usage = await ctx.repo.usage(user.id);
    const { userQuotaBytes, maxOpenSessions, maxRecordingBytes } = ctx.config;
    return {
      userId: user.id,
      name: user.name,
      usage,
      limits: { userBytes: userQuotaBytes, openSessions: maxOpenSessions, recordingBytes: maxRecordingBytes },
    };
  });

  app.post(ROUTES.init, async (request, reply) => {
    const user = requireUser(request);
    const body = parseOr400(InitRequest, request.body);
    const { created, status } = await initVideo(ctx, user, body);
    return reply.code(created ? 201 : 200).send(status);
  });

  app.post(ROUTES.finalize, async (request) => {
    const user = requireUser(request);
    return finalizeVideo(ctx, user, parseOr400(FinalizeRequest, request.body));
  });

  app.get(ROUTES.list, async (request) => {
    const user = requireUser(request);
    const query = parseOr400(VideoListQuery, request.query);
    return listVideos(ctx, user, query.limit ?? VIDEO_PAGE_DEFAULT, query.cursor);
  });

  app.get(PATTERNS.video, async (request) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    return loadVideoStatus(ctx, await ownedVideo(ctx, user, id));
  });

  app.delete(PATTERNS.video, async (request, reply) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    await deleteVideo(ctx, user, id);
    return reply.code(204).send();
  });

  app.get(PATTERNS.file, async (request, reply) => {
    const user = requireUser(request);
    const { id } = IdParams.parse(request.params);
    const video = await ownedVideo(ctx, user, id);
    return sendVideo(request, reply, ctx, video, 'private, no-cache');
  });
}
