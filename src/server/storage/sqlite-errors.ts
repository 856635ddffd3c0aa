/**
 * SQLite (better-sqlite3) and WAL-flush failures translated to the catalogue where they arise,
 * as postgres/errors.ts does for PostgreSQL: routes and the central error handler never see an
 * engine's codes. Result codes: https://www.sqlite.org/rescode.html
 *
 * Transient (503 + Retry-After): a write lock held past busy_timeout by another connection (the
 * CLI, a second process), SQLITE_BUSY_SNAPSHOT and friends included. A full disk is 507, whether
 * SQLite saw it (SQLITE_FULL) or our fdatasync of the WAL did (ENOSPC/EDQUOT). A foreign-key
 * violation means the video or user was deleted meanwhile: 404, as on PostgreSQL. Anything else
 * is a bug or an operator error and stays as it is (500, logged with context).
 */
import { ApiError } from '../../shared/errors.ts';

const RETRY_AFTER_SEC = 1;

export function toCatalogueError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : '';
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return withCause(new ApiError('insufficient_storage'), err);
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_LOCKED_')) {
    return withCause(new ApiError('service_unavailable', { retryAfterSec: RETRY_AFTER_SEC }), err);
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return withCause(new ApiError('not_found'), err);
  return err;
}

/** Keeps the engine's error for the server log; the client sees only the catalogue entry. */
function withCause(api: ApiError, cause: unknown): ApiError {
  Object.defineProperty(api, 'cause', { value: cause, enumerable: false });
  return api;
}
