/**
 * Server-issued identifiers and bearer tokens. Both come from the OS CSPRNG; ids are 128 bits
 * (22 base64url characters, see ServerId in src/shared/api.ts), tokens 256 bits. Tokens are
 * stored only as their SHA-256: a leaked database does not grant access, and lookup by hash
 * replaces a timing-sensitive string comparison with an index lookup of an unpredictable key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ServerId } from '../shared/api.ts';

export function newId(): string {
  return randomBytes(16).toString('base64url');
}

export function isServerId(value: unknown): value is string {
  return ServerId.safeParse(value).success;
}

const TOKEN_PREFIX = 'obx_';
const TOKEN_SHAPE = /^obx_[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Cheap shape check before hashing, so junk headers never reach the database. */
export function looksLikeToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
