/**
 * `POST /api/v1/videos/chunk?sessionId=…&index=…` with a raw body. In its own encapsulated
 * scope, the only content-type parser is one that hands over the unread stream, so fastify
 * never buffers a chunk; anything but application/octet-stream is 415.
 */
import type { FastifyInstance } from 'fastify';
import { CHUNK_CONTENT_TYPE, ChunkQuery, HEADERS, ROUTES } from '../../shared/api.ts';
import { ApiError } from '../../shared/errors.ts';
import { requireUser } from '../http/auth.ts';
import { parseOr400 } from '../http/validate.ts';
import { ingestChunk } from '../ingest/chunk-ingest.ts';
import type { IngestContext } from '../ingest/context.ts';

/** Negative or oversized integers are a range problem; anything else malformed is a schema one. */
function checkIndexShape(query: unknown): void {
  const raw = (query as Record<string, unknown> | null)?.index;
  if (typeof raw === 'string' && (/^-\d+$/.test(raw) || /^[1-9]\d{9,}$/.test(raw))) {
    throw new ApiError('index_out_of_range', { index: raw.slice(0, 20) });
  }
}

export async function chunkRoutes(app: FastifyInstance, opts: { ctx: IngestContext }): Promise<void> {
  const { ctx } = opts;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(CHUNK_CONTENT_TYPE, (_request, payload, done) => done(null, payload));

  app.post(ROUTES.chunk, async (request, reply) => {
    const user = requireUser(request);
    checkIndexShape(request.query);
    const query = parseOr400(ChunkQuery, request.query);
    const declared = request.headers['content-length'];
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), ctx.config.bodyTimeoutMs);
    try {
      const result = await ingestChunk(ctx, user, {
        sessionId: query.sessionId,
        index: query.index,
        contentDigest: request.headers[HEADERS.contentDigest] as string | undefined,
        contentLength: declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined,
        body: request.raw,
        signal: timeout.signal,
      });
      return reply.code(result.status).send(result.body);
    } finally {
      clearTimeout(timer);
    }
  });
}
