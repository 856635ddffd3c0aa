/**
 * Builds the fastify server: storage (storage/select.ts), ingest context, hooks, routes, error
 * handling. Storage is opened while fastify boots (an async plugin), and the start-up work
 * (ingest/start-up.ts) runs in `onReady`, i.e. before the server accepts a connection.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { derivePublicUrl, type ServerConfig } from './config.ts';
import { makeAuthHook } from './http/auth.ts';
import { clientErrorHandler, errorHandler, sendApiError } from './http/errors.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { closeAfterCompletion } from './ingest/after-completion.ts';
import type { IngestContext } from './ingest/context.ts';
import { MemoryBudget } from './ingest/memory-budget.ts';
import { startSweeper, sweepExpired } from './ingest/expiry-sweeper.ts';
import { startUp } from './ingest/start-up.ts';
import type { Sha256Service } from './hashing/sha256-service.ts';
import { WorkerSha256 } from './hashing/worker-sha256.ts';
import { RateLimiter } from './rate-limiter.ts';
import { chunkRoutes } from './routes/chunk.ts';
import { registerShareRoutes } from './routes/share.ts';
import { registerStaticApp } from './routes/static-app.ts';
import { registerVideoRoutes } from './routes/videos.ts';
import { videoMetaRoutes } from './routes/video-meta.ts';
import type { MetadataRepo } from './storage/metadata-repo.ts';
import { closeStorage, selectStorage, type StorageOverrides } from './storage/select.ts';
import { ApiError } from '../shared/errors.ts';

export interface ServerDeps extends StorageOverrides {
  /** Epoch ms; tests drive expiry and rate windows with a fake. */
  clock?: () => number;
  /** Where pino writes (default stdout). */
  logStream?: pino.DestinationStream;
  /** Hashing for the after-completion job (default: a worker thread). */
  sha256?: Sha256Service;
}

export interface OutboxServices {
  ctx: IngestContext;
  repo: MetadataRepo;
  /** Expires idle sessions now; returns how many. */
  sweep(): Promise<number>;
}

declare module 'fastify' {
  interface FastifyInstance {
    outbox: OutboxServices;
  }
}

function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

export function buildServer(config: ServerConfig, deps: ServerDeps = {}): FastifyInstance {
  const clock = deps.clock ?? Date.now;
  const logger: FastifyBaseLogger = pino(
    { level: config.logLevel, base: { module: 'outbox:server' }, redact: ['req.headers.authorization'] },
    deps.logStream ?? pino.destination(1),
  );
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.jsonBodyLimit,
    // Backstop for bodies that trickle in; chunk bodies have their own timeout that answers 408 JSON.
    requestTimeout: config.bodyTimeoutMs + 5_000,
    connectionTimeout: 0,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // fastify's types omit the hop count it accepts; this is the function it compiles one into.
    trustProxy: typeof config.trustProxy === 'number' ? trustHops(config.trustProxy) : config.trustProxy,
    clientErrorHandler,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: (err, request, reply) => sendApiError(request, reply, err.code === 'FST_ERR_BAD_URL' ? new ApiError('validation_failed') : new ApiError('not_found')),
  });

  const sha256 = deps.sha256 ?? new WorkerSha256({ onWorkerError: (err) => app.log.error({ event: 'hashing/worker-failed', err }) });
  let cachedUrl: string | null = config.publicUrl;
  const publicUrl = (): string => {
    if (cachedUrl) return cachedUrl;
    const addr = app.server.address();
    const port = addr && typeof addr === 'object' ? addr.port : config.port;
    cachedUrl = derivePublicUrl(config.host, port);
    return cachedUrl;
  };
  app.decorateRequest('user', null);
  app.setErrorHandler(errorHandler);
  registerSecurityHeaders(app);
  // JSON is the only body the API takes besides raw chunks; a text/plain body is 415.
  app.removeContentTypeParser('text/plain');

  // Opening storage is async (a database connection, a bucket check): fastify waits for this
  // plugin before `ready`. Skip-override (what fastify-plugin sets) keeps everything it
  // registers — hooks, routes, the SPA not-found handler — on the root.
  const withStorage = async (root: FastifyInstance) => {
    const storage = await selectStorage(config, app.log, deps);
    const ctx: IngestContext = {
      config,
      repo: storage.repo,
      chunks: storage.chunks,
      output: storage.output,
      small: storage.small,
      locker: storage.locker,
      clock,
      memory: new MemoryBudget(config.memoryBodyBytes, config.memoryBodyBytesPerUser),
      log: app.log,
      publicUrl,
      sha256,
    };
    const repo = storage.repo;
    let closing = false;
    root.decorate('outbox', { ctx, repo, sweep: () => sweepExpired(ctx) });
    root.addHook(
      'onRequest',
      makeAuthHook({
        repo,
        perUser: new RateLimiter(config.rateLimitPerMinute, 60_000, clock),
        failuresPerIp: new RateLimiter(config.authFailuresPerMinute, 60_000, clock),
        failuresPerCredential: new RateLimiter(config.authFailuresPerMinute, 60_000, clock),
      }),
    );
    root.addHook('onResponse', async (request, reply) => {
      // Closing: a request that was in flight when close began has finished; its keep-alive
      // connection is closed now rather than after fastify's 72 s keepAliveTimeout
      // (forceCloseConnections 'idle' only closes the connections idle when close starts).
      if (closing) setImmediate(() => app.server.closeIdleConnections());
      if (reply.statusCode >= 500) return;
      request.log.debug({ event: 'http/request', method: request.method, url: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
    });

    registerVideoRoutes(root, ctx);
    root.register(chunkRoutes, { ctx });
    root.register(videoMetaRoutes, { ctx });
    registerShareRoutes(root, ctx);
    root.register(import('./openapi/route.ts'));
    root.register(Object.assign(async (r: FastifyInstance) => registerStaticApp(r, config.staticDir), { [Symbol.for('skip-override')]: true }));

    let stopSweeper: (() => void) | null = null;
    root.addHook('onReady', async () => {
      await startUp(ctx);
      stopSweeper = startSweeper(ctx);
    });
    root.addHook('preClose', async () => {
      closing = true;
      await closeAfterCompletion(ctx);
    });
    root.addHook('onClose', async () => {
      stopSweeper?.();
      await sha256.close();
      await closeStorage(storage);
    });
  };
  app.register(Object.assign(withStorage, { [Symbol.for('skip-override')]: true }));
  return app;
}
