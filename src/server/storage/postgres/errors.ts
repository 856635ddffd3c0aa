/**
 * PostgreSQL and driver failures translated to the catalogue where they arise, so routes and the
 * central error handler never see an engine's codes (SQLite's are still translated in
 * http/errors.ts). SQLSTATE classes: https://www.postgresql.org/docs/15/errcodes-appendix.html
 *
 * Transient (retry later, 503 + Retry-After): the database is unreachable, restarting, out of
 * connections, or chose this transaction as a serialization/deadlock victim. A full disk is 507.
 * A foreign-key violation means the video was deleted meanwhile (possibly by another node): 404.
 * Anything else is a bug or an operator error and stays as it is (500, logged with context).
 */
import { ApiError } from '../../../shared/errors.ts';

const RETRY_AFTER_SEC = 1;

const TRANSIENT_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '53300', // too_many_connections
  '53200', // out_of_memory
]);

/** Socket-level failures of the driver (no SQLSTATE). */
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * node-postgres reports a dropped connection and a pool wait timeout as plain Errors; these are
 * its messages (pg/lib/client.js, pg-pool/index.js).
 */
const TRANSIENT_MESSAGES = [/Connection terminated/i, /timeout exceeded when trying to connect/i, /Client has encountered a connection error/i];

export function toCatalogueError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code === '53100') return withCause(new ApiError('insufficient_storage'), err); // disk_full
  if (code === '23503') return withCause(new ApiError('not_found'), err); // foreign_key_violation
  const transient =
    code.startsWith('08') || TRANSIENT_SQLSTATES.has(code) || TRANSIENT_NODE_CODES.has(code) ||
    (!code && TRANSIENT_MESSAGES.some((re) => re.test(message)));
  if (transient) return withCause(new ApiError('service_unavailable', { retryAfterSec: RETRY_AFTER_SEC }), err);
  return err;
}

/** Keeps the engine's error for the server log; the client sees only the catalogue entry. */
function withCause(api: ApiError, cause: unknown): ApiError {
  Object.defineProperty(api, 'cause', { value: cause, enumerable: false });
  return api;
}
