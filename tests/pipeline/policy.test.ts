import { describe, expect, it } from 'vitest';
import { WAIT_CAP_MS, decideFailure, jitteredDelayMs } from '../../src/sw/pipeline/policy.ts';
import { remedyFor } from '../../src/shared/errors.ts';
import { TransportError, parseRetryAfter } from '../../src/sw/pipeline/transport-error.ts';
import { DEFAULT_SETTINGS } from '../../src/shared/settings.ts';

const ctx = (attempts: number, online = true) => ({ online, attempts, settings: { ...DEFAULT_SETTINGS, jitterRatio: 0 }, random: () => 0.5 });
const http = (status: number, code?: string, retryAfterMs?: number) => new TransportError('http', { status, code: code ?? null, retryAfterMs: retryAfterMs ?? null });

describe('failure policy', () => {
  it('retries 408, 429, 5xx, too_many_open_sessions and no answer with 1-2-4-8 s backoff, then every 45 s, never giving up', () => {
    const waitable = [
      http(408), http(429), http(500), http(503), http(409, 'too_many_open_sessions'), http(400, 'digest_mismatch'),
      new TransportError('network'), new TransportError('bad_response'),
    ];
    for (const e of waitable) {
      expect([1, 2, 3, 4].map((n) => decideFailure(e, ctx(n)))).toEqual([1000, 2000, 4000, 8000].map((delayMs) => ({ kind: 'retry', delayMs, exhausted: false })));
      for (const n of [5, 6, 50, 10_000]) expect(decideFailure(e, ctx(n))).toEqual({ kind: 'retry', delayMs: WAIT_CAP_MS, exhausted: true });
    }
  });

  it('caps every delay at 45 s, with the configured ± jitter around it', () => {
    const s = { ...DEFAULT_SETTINGS, maxAttempts: 10 };
    expect([1, 5, 6, 7, 9].map((n) => jitteredDelayMs({ settings: { ...s, jitterRatio: 0 }, random: () => 0.5 }, n))).toEqual([1000, 16_000, 32_000, 45_000, 45_000]);
    expect(jitteredDelayMs({ settings: s, random: () => 0 }, 99)).toBe(40_500);
    expect(jitteredDelayMs({ settings: s, random: () => 0.999999 }, 99)).toBe(49_500);
  });

  it('holds without burning when offline, on 401, and when aborted', () => {
    expect(decideFailure(new TransportError('network'), ctx(1, false))).toEqual({ kind: 'hold-offline' });
    expect(decideFailure(http(401, 'unauthorized'), ctx(5))).toEqual({ kind: 'hold-auth' });
    expect(decideFailure(new TransportError('aborted'), ctx(5))).toEqual({ kind: 'hold' });
  });

  it('treats a lost session (404, 410) as session-lost', () => {
    expect(decideFailure(http(404, 'not_found'), ctx(1))).toEqual({ kind: 'session-lost' });
    expect(decideFailure(http(410, 'session_expired'), ctx(1))).toEqual({ kind: 'session-lost' });
  });

  it('fails at once, with words for the user, only where waiting cannot change the answer', () => {
    const final = [
      [409, 'chunk_conflict'], [413, 'chunk_too_large'], [413, 'user_quota_exceeded'], [413, 'recording_too_large'],
      [413, 'body_too_large'], [413, undefined], [400, 'validation_failed'],
    ] as const;
    for (const [status, code] of final) {
      const a = decideFailure(http(status, code), ctx(1));
      expect(a).toMatchObject({ kind: 'fail', code: code ?? 'http_413' });
      expect(a.kind === 'fail' && a.words.length).toBeGreaterThan(20);
    }
    expect(decideFailure(http(413, 'user_quota_exceeded'), ctx(1))).toMatchObject({ words: expect.stringMatching(/storage on the server is full.*Delete recordings.*Retry/) });
    expect(remedyFor('local_copy_corrupt', null)).toMatchObject({ kind: 'user' });
    for (const code of ['service_unavailable', 'internal_error', 'rate_limited', 'request_timeout', 'too_many_open_sessions', 'network', 'http_502']) {
      expect(remedyFor(code, null)).toEqual({ kind: 'wait' });
    }
  });

  it('honours Retry-After when longer than the backoff', () => {
    expect(decideFailure(http(429, 'rate_limited', 30_000), ctx(1))).toEqual({ kind: 'retry', delayMs: 30_000, exhausted: false });
    expect(decideFailure(http(503, undefined, 10), ctx(3))).toEqual({ kind: 'retry', delayMs: 4000, exhausted: false });
    expect(decideFailure(http(503, undefined, 120_000), ctx(9))).toEqual({ kind: 'retry', delayMs: 120_000, exhausted: true });
  });

  it('parses Retry-After as seconds or an HTTP-date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});
