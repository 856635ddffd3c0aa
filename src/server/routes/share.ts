/**
 * Public sharing, no authentication: the share page `/s/:shareId` (a small self-contained HTML
 * player; no script, so the strict CSP holds) and its file `/api/v1/shared/:shareId/file`.
 * The share id is a separate unguessable 128-bit id, so the video id never leaks publicly.
 * Only complete videos are served; an unknown or malformed id is 404 like any other.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ROUTES } from '../../shared/api.ts';
import { ApiError } from '../../shared/errors.ts';
import { isServerId } from '../ids.ts';
import { sendVideo } from '../http/send-video.ts';
import { PATTERNS } from './patterns.ts';
import type { IngestContext } from '../ingest/context.ts';
import type { VideoRecord } from '../storage/metadata-repo.ts';

const Params = z.object({ shareId: z.string() });

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string, refresh = false): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh ? '<meta http-equiv="refresh" content="5">\n' : ''}<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>body{margin:0;font:16px system-ui,sans-serif;background:#111;color:#eee;display:flex;flex-direction:column;align-items:center;justify-content:center;min-height:100vh}
video{max-width:100%;max-height:85vh;background:#000}h1{font-size:1.1rem;font-weight:500;margin:.8rem}p{color:#aaa}</style>
</head><body>
${body}
</body></html>
`;
}

async function findShared(ctx: IngestContext, shareId: string): Promise<VideoRecord | null> {
  if (!isServerId(shareId)) return null;
  return ctx.repo.getVideoByShareId(shareId);
}

export function registerShareRoutes(app: FastifyInstance, ctx: IngestContext): void {
  app.get(PATTERNS.sharePage, async (request, reply) => {
    const { shareId } = Params.parse(request.params);
    const video = await findShared(ctx, shareId);
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache');
    if (!video || video.state === 'expired') {
      return reply.code(404).send(page('Not found', '<h1>This recording does not exist or was removed.</h1>'));
    }
    const title = video.title ?? 'Recording';
    if (video.state !== 'complete') {
      return reply.send(page(title, `<h1>${escapeHtml(title)}</h1><p>This recording is still being uploaded. This page reloads by itself.</p>`, true));
    }
    const src = ROUTES.sharedFile(video.shareId);
    return reply.send(
      page(title, `<video controls playsinline preload="metadata" src="${escapeHtml(src)}"></video><h1>${escapeHtml(title)}</h1>`),
    );
  });

  app.get(PATTERNS.sharedFile, async (request, reply) => {
    const { shareId } = Params.parse(request.params);
    const video = await findShared(ctx, shareId);
    if (!video || video.state === 'expired') throw new ApiError('not_found');
    return sendVideo(request, reply, ctx.blobs, video, 'public, max-age=0, must-revalidate');
  });
}
