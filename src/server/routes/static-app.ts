/**
 * Serves the Vite build (OUTBOX_STATIC_DIR) on the same origin as the API. Hashed assets are
 * immutable; index.html, sw.js and the manifest must revalidate so a new deploy reaches users
 * (a cached sw.js would pin the old worker). Unknown non-/api GETs fall back to index.html
 * (SPA routing). Without a build, a short page says how to make one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../shared/errors.ts';

const NO_BUILD = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Outbox Recorder</title></head>
<body><p>The app is not built yet: run <code>npm run build</code> (or <code>npm start</code>), then reload.</p></body></html>
`;

export async function registerStaticApp(app: FastifyInstance, staticDir: string): Promise<void> {
  const built = existsSync(join(staticDir, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: staticDir,
      wildcard: true,
      index: ['index.html'],
      cacheControl: false,
      // dist/ holds .br and .gz copies made at build (vite.config.ts): chosen by Accept-Encoding.
      preCompressed: true,
      // Source maps stay on the build machine (vite writes them for debugging): they publish the
      // original sources and comments. A request for one is a plain 404.
      allowedPath: (pathName) => !/\.map$/i.test(pathName),
      setHeaders(res, path) {
        // The answer depends on Accept-Encoding (preCompressed): shared caches must key on it.
        res.setHeader('vary', 'accept-encoding');
        if (/[\\/]assets[\\/]/.test(path)) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
        else res.setHeader('cache-control', 'no-cache');
      },
    });
  }

  app.setNotFoundHandler(async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '';
    const isPage = (request.method === 'GET' || request.method === 'HEAD') && !path.startsWith('/api/') && path !== '/api';
    if (!isPage) throw new ApiError('not_found');
    if (!built) return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(NO_BUILD);
    // A missing file with an extension is a real 404, not a route of the single-page app.
    if (/\.[A-Za-z0-9]+$/.test(path)) throw new ApiError('not_found');
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html');
  });
}
