/**
 * Builds the fastify server: storage, ingest context, hooks, routes, error handling. Start-up
 * recovery runs in `onReady`, i.e. before the server accepts a connection.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { derivePublicUrl, type ServerConfig } from './config.ts';
import { makeAuthHook } from './http/auth.ts';
import { clientErrorHandler, errorHandler, sendApiError } from './http/errors.ts';
import { registerSecurityHeaders } from './http/security-headers.ts';
import { Assembler } from './ingest/assembler.ts';
import type { IngestContext } from './ingest/context.ts';
import { MemoryBudget } from './ingest/memory-budget.ts';
import { startSweeper, sweepExpired } from './ingest/expiry-sweeper.ts';
import { recover } from './ingest/recovery.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { Sha256Service } from './hashing/sha256-service.ts';
import { WorkerSha256 } from './hashing/worker-sha256.ts';
import { blobRoot, databaseFile } from './paths.ts';
import { RateLimiter } from './rate-limiter.ts';
import { chunkRoutes } from './routes/chunk.ts';
import { registerShareRoutes } from './routes/share.ts';
import { registerStaticApp } from './routes/static-app.ts';
import { registerVideoRoutes } from './routes/videos.ts';
import { videoMetaRoutes } from './routes/video-meta.ts';
import type { BlobStore } from './storage/blob-store.ts';
import { FsBlobStore } from './storage/fs-blob-store.ts';
import type { MetadataRepo } from './storage/metadata-repo.ts';
import { SqliteMetadataRepo } from './storage/sqlite-metadata-repo.ts';
import { ApiError } from '../shared/errors.ts';

export interface ServerDeps {
  /** Epoch ms; tests drive expiry and rate windows with a fake. */
  clock?: () => number;
  blobStore?: BlobStore;
  repo?: MetadataRepo;
  /** Where pino writes (default stdout). */
  logStream?: pino.DestinationStream;
  /** Hashing of chunks and running video hashes (default: a worker thread). */
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

  const repo = deps.repo ?? new SqliteMetadataRepo(databaseFile(config.dataDir));
  const sha256 = deps.sha256 ?? new WorkerSha256({ onWorkerError: (err) => app.log.error({ event: 'hashing/worker-failed', err }) });
  const blobs = deps.blobStore ?? new FsBlobStore(blobRoot(config.dataDir), sha256);
  let cachedUrl: string | null = config.publicUrl;
  const publicUrl = (): string => {
    if (cachedUrl) return cachedUrl;
    const addr = app.server.address();
    const port = addr && typeof addr === 'object' ? addr.port : config.port;
    cachedUrl = derivePublicUrl(config.host, port);
    return cachedUrl;
  };
  const ctx: IngestContext = {
    config,
    repo,
    blobs,
    assembler: new Assembler(repo, blobs, clock, app.log, sha256),
    locks: new KeyedMutex(),
    clock,
    memory: new MemoryBudget(config.memoryBodyBytes, config.memoryBodyBytesPerUser),
    log: app.log,
    publicUrl,
  };
  app.decorate('outbox', { ctx, repo, sweep: () => sweepExpired(ctx) });
  app.decorateRequest('user', null);

  app.setErrorHandler(errorHandler);
  registerSecurityHeaders(app);
  // JSON is the only body the API takes besides raw chunks; a text/plain body is 415.
  app.removeContentTypeParser('text/plain');
  app.addHook(
    'onRequest',
    makeAuthHook({
      repo,
      perUser: new RateLimiter(config.rateLimitPerMinute, 60_000, clock),
      failuresPerIp: new RateLimiter(config.authFailuresPerMinute, 60_000, clock),
      failuresPerCredential: new RateLimiter(config.authFailuresPerMinute, 60_000, clock),
    }),
  );
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 500) return;
    request.log.debug({ event: 'http/request', method: request.method, url: request.routeOptions.url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
  });

  registerVideoRoutes(app, ctx);
  app.register(chunkRoutes, { ctx });
  app.register(videoMetaRoutes, { ctx });
  registerShareRoutes(app, ctx);
  app.register(import('./openapi/route.ts'));
  app.register(Object.assign(async (root: FastifyInstance) => registerStaticApp(root, config.staticDir), {
    // Same effect as fastify-plugin: the static routes and the SPA not-found handler belong to the root.
    [Symbol.for('skip-override')]: true,
  }));

  let stopSweeper: (() => void) | null = null;
  app.addHook('onReady', async () => {
    await recover(ctx);
    stopSweeper = startSweeper(ctx);
  });
  app.addHook('onClose', async () => {
    stopSweeper?.();
    await ctx.locks.idle();
    await blobs.close?.();
    await sha256.close();
    await repo.close();
  });
  return app;
}
