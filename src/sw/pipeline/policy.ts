/**
 * What to do after a request failed: the pipeline's retry policy as one pure function, so the
 * rules below are tested without any I/O.
 *
 * - No answer while the device is offline: hold, no attempt burned (being offline says nothing
 *   about whether the request can pass, so it must not count towards giving up).
 * - 401: hold everything until the token changes (Screenity v4.8.0: a revoked token must hold
 *   uploads, not drop them).
 * - 404 not_found / 410 session_expired: the server lost our session (expired after
 *   inactivity, or its store was reset). Retrying the same session cannot succeed, and the
 *   chunks are still local, so the answer is to re-init once and re-send (`session-lost`); if it
 *   happens again for the same recording in one run, the caller fails loudly instead.
 * - 409 chunk_conflict: the server holds different bytes at this index. Our bytes were hashed
 *   when captured and are the truth; re-sending cannot change the server's answer, so the chunk
 *   fails loudly (kept), and finalize will surface the mismatch by the assembled SHA-256.
 * - 408, 429, 5xx, network errors, unparseable or mismatching 2xx: retry with exponential
 *   backoff and jitter, honouring Retry-After (RFC 9110 §10.2.3) when it asks for longer.
 * - Any other 4xx: final for this chunk (failed, kept).
 */
import { classifyStatus } from '../../shared/errors.ts';
import { backoffDelayMs, type Settings } from '../../shared/settings.ts';
import { TransportError } from './transport-error.ts';

export type FailureAction =
  /** We aborted the request (stop()): put the item back untouched. */
  | { kind: 'hold' }
  | { kind: 'hold-offline' }
  | { kind: 'hold-auth' }
  | { kind: 'session-lost' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'fail'; code: string };

export interface FailureContext {
  online: boolean;
  /** Attempts made on this item including the one that just failed. */
  attempts: number;
  settings: Pick<Settings, 'maxAttempts' | 'backoffBaseMs' | 'jitterRatio'>;
  random: () => number;
}

/** Backoff with ± jitterRatio of random jitter: 1, 2, 4, 8, 16 s by default. */
export function jitteredDelayMs(ctx: Pick<FailureContext, 'settings' | 'random'>, failedAttempts: number): number {
  const base = backoffDelayMs(ctx.settings, failedAttempts);
  return Math.max(0, Math.round(base * (1 + ctx.settings.jitterRatio * (2 * ctx.random() - 1))));
}

export function decideFailure(err: unknown, ctx: FailureContext): FailureAction {
  const e = err instanceof TransportError ? err : new TransportError('network', { cause: err });
  if (e.kind === 'aborted') return { kind: 'hold' };
  if (e.kind === 'network' && !ctx.online) return { kind: 'hold-offline' };
  if (e.kind === 'http' && e.status !== null) {
    const cls = classifyStatus(e.status);
    if (cls === 'auth') return { kind: 'hold-auth' };
    if (e.status === 410 || (e.status === 404 && (e.code === null || e.code === 'not_found'))) return { kind: 'session-lost' };
    if (cls === 'fatal') return { kind: 'fail', code: e.errorCode };
  }
  if (ctx.attempts >= ctx.settings.maxAttempts) return { kind: 'fail', code: e.errorCode };
  const delay = jitteredDelayMs(ctx, ctx.attempts);
  return { kind: 'retry', delayMs: Math.max(delay, e.retryAfterMs ?? 0) };
}
