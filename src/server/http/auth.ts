/**
 * Bearer-token authentication and per-user rate limiting for /api (except the public share
 * file). The token is hashed and looked up by hash, so no string comparison leaks timing.
 * Failed attempts are counted per client IP and answered 429 once over the limit, which makes
 * guessing (already hopeless at 256 bits) also slow.
 */
import type { FastifyRequest } from 'fastify';
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

export function needsAuth(url: string): boolean {
  if (!url.startsWith('/api/')) return false;
  return !PUBLIC_PREFIXES.some((p) => url.startsWith(p));
}

export interface AuthDeps {
  repo: MetadataRepo;
  perUser: RateLimiter;
  failuresPerIp: RateLimiter;
}

export function makeAuthHook(deps: AuthDeps) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    request.user = null;
    if (!needsAuth(request.url)) return;
    const ip = request.ip;
    const blocked = deps.failuresPerIp.blocked(ip);
    if (!blocked.ok) throw new ApiError('rate_limited', { retryAfterSec: blocked.retryAfterSec });
    const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const token = m?.[1];
    const user = token && looksLikeToken(token) ? await deps.repo.findUserByTokenHash(hashToken(token)) : null;
    if (!user) {
      deps.failuresPerIp.hit(ip);
      throw new ApiError('unauthorized');
    }
    const rate = deps.perUser.hit(user.id);
    if (!rate.ok) throw new ApiError('rate_limited', { retryAfterSec: rate.retryAfterSec });
    request.user = user;
  };
}

export function requireUser(request: FastifyRequest): User {
  if (!request.user) throw new ApiError('unauthorized');
  return request.user;
}
