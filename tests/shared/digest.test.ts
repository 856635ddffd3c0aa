import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatContentDigest, parseContentDigest, sha256Hex } from '../../src/shared/digest.ts';

describe('sha256Hex', () => {
  it('matches node:crypto', async () => {
    const bytes = new TextEncoder().encode('outbox');
    expect(await sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});

describe('Content-Digest (RFC 9530)', () => {
  const hex = createHash('sha256').update('x').digest('hex');
  it('round-trips sha-256 as a byte sequence', () => {
    const header = formatContentDigest(hex);
    expect(header).toBe(`sha-256=:${createHash('sha256').update('x').digest('base64')}:`);
    expect(parseContentDigest(header)).toEqual({ ok: true, sha256: hex });
  });
  it('finds sha-256 among other algorithms', () => {
    expect(parseContentDigest(`sha-512=:AAAA:, ${formatContentDigest(hex)}`)).toEqual({ ok: true, sha256: hex });
  });
  it('reports missing and malformed values', () => {
    expect(parseContentDigest(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(parseContentDigest('sha-512=:AAAA:')).toEqual({ ok: false, reason: 'missing' });
    expect(parseContentDigest('sha-256=:AAAA:')).toEqual({ ok: false, reason: 'invalid' });
    expect(parseContentDigest('sha-256=' + hex)).toEqual({ ok: false, reason: 'invalid' });
    expect(parseContentDigest('sha-256=:!!!:')).toEqual({ ok: false, reason: 'invalid' });
  });
});
