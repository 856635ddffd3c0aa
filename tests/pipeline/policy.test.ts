import { describe, expect, it } from 'vitest';
import { decideFailure } from '../../src/sw/pipeline/policy.ts';
import { TransportError, parseRetryAfter } from '../../src/sw/pipeline/transport-error.ts';
import { DEFAULT_SETTINGS } from '../../src/shared/settings.ts';

const ctx = (attempts: number, online = true) => ({ online, attempts, settings: { ...DEFAULT_SETTINGS, jitterRatio: 0 }, random: () => 0.5 });
const http = (status: number, code?: string, retryAfterMs?: number) => new TransportError('http', { status, code: code ?? null, retryAfterMs: retryAfterMs ?? null });

describe('failure policy', () => {
  it('retries 408, 429, 5xx and network errors with 1-2-4-8 s backoff, failing after maxAttempts', () => {
    for (const e of [http(408), http(429), http(500), http(503), new TransportError('network'), new TransportError('bad_response')]) {
      expect([1, 2, 3, 4].map((n) => decideFailure(e, ctx(n)))).toEqual([1000, 2000, 4000, 8000].map((delayMs) => ({ kind: 'retry', delayMs })));
      expect(decideFailure(e, ctx(5)).kind).toBe('fail');
    }
  });

  it('holds without burning when offline, on 401, and when aborted', () => {
    expect(decideFailure(new TransportError('network'), ctx(1, false))).toEqual({ kind: 'hold-offline' });
    expect(decideFailure(http(401, 'unauthorized'), ctx(5))).toEqual({ kind: 'hold-auth' });
    expect(decideFailure(new TransportError('aborted'), ctx(5))).toEqual({ kind: 'hold' });
  });

  it('treats a lost session (404, 410) as session-lost and other 4xx as final', () => {
    expect(decideFailure(http(404, 'not_found'), ctx(1))).toEqual({ kind: 'session-lost' });
    expect(decideFailure(http(410, 'session_expired'), ctx(1))).toEqual({ kind: 'session-lost' });
    expect(decideFailure(http(409, 'chunk_conflict'), ctx(1))).toEqual({ kind: 'fail', code: 'chunk_conflict' });
    expect(decideFailure(http(400, 'validation_failed'), ctx(1))).toEqual({ kind: 'fail', code: 'validation_failed' });
    expect(decideFailure(http(418), ctx(1))).toEqual({ kind: 'fail', code: 'http_418' });
  });

  it('honours Retry-After when longer than the backoff', () => {
    expect(decideFailure(http(429, 'rate_limited', 30_000), ctx(1))).toEqual({ kind: 'retry', delayMs: 30_000 });
    expect(decideFailure(http(503, undefined, 10), ctx(3))).toEqual({ kind: 'retry', delayMs: 4000 });
  });

  it('parses Retry-After as seconds or an HTTP-date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
