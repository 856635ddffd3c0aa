/**
 * `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of this server, public (auth.ts lets
 * it through) and cacheable. Built once, on the first request, from the routes fastify has then.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildOpenApiDocument } from './document.ts';

export const OPENAPI_PATH = '/api/v1/openapi.json';

export default async function openApiRoute(app: FastifyInstance): Promise<void> {
  let cached: { body: string; etag: string } | null = null;
  app.get(OPENAPI_PATH, async (request, reply) => {
    if (!cached) {
      const body = JSON.stringify(buildOpenApiDocument((method, path) => app.hasRoute({ method: method.toUpperCase() as 'GET', url: path })));
      cached = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    reply.header('cache-control', 'public, max-age=3600').header('etag', cached.etag).type('application/json; charset=utf-8');
    if (request.headers['if-none-match'] === cached.etag) return reply.code(304).send();
    return reply.send(cached.body);
  });
}
