/**
 * What to do after a request failed: the pipeline's retry policy as one pure function, so the
 * rules below are tested without any I/O.
 *
 * - No answer while the device is offline: hold, no attempt burned (a phone on a train must not
 *   spend its attempts in a tunnel).
 * - 401: hold everything until the token changes (Screenity v4.8.0: a revoked token must hold
 *   uploads, not drop them).
 * - 404 not_found / 410 session_expired: the server lost our session (expired after
 *   inactivity, or its store was reset). Retrying the same session cannot succeed, and the
 *   chunks are still local, so the answer is to re-init once and re-send (`session-lost`); if it
 *   happens again for the same recording in one run, the caller fails loudly instead.
 * - An answer waiting cannot change (`remedyFor` in src/shared/errors.ts: 409 chunk_conflict,
 *   413, …): fail at once, kept, with words for the user.
 * - Everything else (408, 429, 5xx, no answer, a garbled or mismatching 2xx): retry with
 *   exponential backoff and jitter, honouring Retry-After (RFC 9110 §10.2.3) when it asks for
 *   longer. After `maxAttempts` the item is *exhausted* — shown as failed — but never given up:
 *   it is retried every WAIT_CAP_MS (± jitter) for as long as a page or the worker lives, and at
 *   once when anything else reaches the server again.
 */
import { remedyFor } from '../../shared/errors.ts';
import type { Settings } from '../../shared/settings.ts';
import { TransportError } from './transport-error.ts';

/**
 * The cap of the backoff: the longest wait between two tries of the same item. Chosen so that,
 * with the default ±10 % jitter, an upload resumes within a minute of the server's return even
 * when nothing else nudges it (45 s × 1.1 = 49.5 s, plus the upload itself).
 */
export const WAIT_CAP_MS = 45_000;

/** Backoff delay before attempt `attempt + 1` after `attempt` failures (1-based), without jitter. */
export function backoffDelayMs(settings: Pick<Settings, 'backoffBaseMs'>, failedAttempts: number): number {
  return settings.backoffBaseMs * 2 ** Math.max(0, failedAttempts - 1);
}

export type FailureAction =
  /** We aborted the request (stop()): put the item back untouched. */
  | { kind: 'hold' }
  | { kind: 'hold-offline' }
  | { kind: 'hold-auth' }
  | { kind: 'session-lost' }
  /** Try again after delayMs; `exhausted` once the configured attempts are spent (shown as failed). */
  | { kind: 'retry'; delayMs: number; exhausted: boolean }
  /** Waiting cannot help: failed until the user acts; `words` say what happened and what to do. */
  | { kind: 'fail'; code: string; words: string };

export interface FailureContext {
  online: boolean;
  /** Attempts made on this item including the one that just failed. */
  attempts: number;
  settings: Pick<Settings, 'maxAttempts' | 'backoffBaseMs' | 'jitterRatio'>;
  random: () => number;
}

/**
 * The capped schedule with ± jitterRatio of random jitter: 1, 2, 4, 8, 16 s by default, then
 * WAIT_CAP_MS for every further attempt.
 */
export function jitteredDelayMs(ctx: Pick<FailureContext, 'settings' | 'random'>, failedAttempts: number): number {
  const base = Math.min(WAIT_CAP_MS, backoffDelayMs(ctx.settings, Math.min(failedAttempts, 30)));
  return Math.max(0, Math.round(base * (1 + ctx.settings.jitterRatio * (2 * ctx.random() - 1))));
}

export function decideFailure(err: unknown, ctx: FailureContext): FailureAction {
  const e = err instanceof TransportError ? err : new TransportError('network', { cause: err });
  if (e.kind === 'aborted') return { kind: 'hold' };
  if (e.kind === 'network' && !ctx.online) return { kind: 'hold-offline' };
  if (e.kind === 'http' && e.status !== null) {
    if (e.status === 401) return { kind: 'hold-auth' };
    if (e.status === 410 || (e.status === 404 && (e.code === null || e.code === 'not_found'))) return { kind: 'session-lost' };
  }
  if (e.kind === 'http') {
    const remedy = remedyFor(e.errorCode, e.status);
    if (remedy.kind === 'user') return { kind: 'fail', code: remedy.code, words: remedy.words };
  }
  const exhausted = ctx.attempts >= ctx.settings.maxAttempts;
  const delay = exhausted ? jitteredDelayMs(ctx, Number.MAX_SAFE_INTEGER) : jitteredDelayMs(ctx, ctx.attempts);
  return { kind: 'retry', delayMs: Math.max(delay, e.retryAfterMs ?? 0), exhausted };
}
