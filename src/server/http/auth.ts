/**
 * Bearer-token authentication and per-user rate limiting for the authenticated /api routes.
 * The token is hashed and looked up by hash, so no string comparison leaks timing.
 *
 * Failed attempts are counted per client address *and* per presented credential, and over
 * either limit a failure is answered 429 instead of 401. A valid token is always looked up and
 * always accepted, whatever its address did: behind a reverse proxy every client may share one
 * address (OUTBOX_TRUST_PROXY restores the real one), and a limit anyone can trip with junk
 * tokens must not lock out the users who have real ones. Guessing a 256-bit token is hopeless
 * anyway; the limits keep floods of junk cheap and quiet, they are not the defence.
 *
 * The hook decides on the *matched route* (fastify routes before onRequest), not the raw URL:
 * the router decodes `/%61pi/v1/me` to `/api/v1/me`, so a prefix test on the raw URL could be
 * walked around. Unmatched URLs and CORS preflights (OPTIONS; no route answers them) are no
 * authentication attempt at all and are answered 404 without counting.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_PREFIX } from '../../shared/api.ts';
import { ApiError } from '../../shared/errors.ts';
import { hashToken, looksLikeToken } from '../ids.ts';
import type { RateLimiter } from '../rate-limiter.ts';
import type { MetadataRepo, User } from '../storage/metadata-repo.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every authenticated /api request. */
    user: User | null;
  }
}

const PUBLIC_PREFIXES = [`${API_PREFIX}/shared/`, `${API_PREFIX}/openapi.json`];

/** Whether the route pattern (e.g. `/api/v1/videos/:id`) needs a bearer token. */
export function needsAuth(routePattern: string): boolean {
  if (!routePattern.startsWith('/api/')) return false;
  return !PUBLIC_PREFIXES.some((p) => routePattern.startsWith(p));
}

export interface AuthDeps {
  repo: MetadataRepo;
  perUser: RateLimiter;
  failuresPerIp: RateLimiter;
  failuresPerCredential: RateLimiter;
}

/** At most this much of a presented credential is hashed (headers are bounded anyway). */
const MAX_CREDENTIAL_CHARS = 512;

export function makeAuthHook(deps: AuthDeps) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    request.user = null;
    const route = request.routeOptions.url;
    if (request.method === 'OPTIONS' || !route || !needsAuth(route)) return;
    // Answers about one user's data (and the 401/429 before them) must not be kept by any cache.
    reply.header('cache-control', 'no-store');
    const presented = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    const user = presented && looksLikeToken(presented) ? await deps.repo.findUserByTokenHash(hashToken(presented)) : null;
    if (user) {
      const rate = deps.perUser.hit(user.id);
      if (!rate.ok) throw new ApiError('rate_limited', { retryAfterSec: rate.retryAfterSec });
      request.user = user;
      return;
    }
    // No credential at all guesses nothing (and costs no lookup): a plain 401, never counted.
    if (!presented) throw new ApiError('unauthorized');
    const byIp = deps.failuresPerIp.hit(request.ip);
    const byCredential = deps.failuresPerCredential.hit(createHash('sha256').update(presented.slice(0, MAX_CREDENTIAL_CHARS)).digest('hex'));
    if (!byIp.ok || !byCredential.ok) {
      const retryAfterSec = Math.max(byIp.ok ? 0 : byIp.retryAfterSec, byCredential.ok ? 0 : byCredential.retryAfterSec);
      throw new ApiError('rate_limited', { retryAfterSec });
    }
    throw new ApiError('unauthorized');
  };
}

export function requireUser(request: FastifyRequest): User {
  if (!request.user) throw new ApiError('unauthorized');
  return request.user;
}
