/**
 * The one catalogue of error codes spoken by server, worker, page and tests.
 * Modelled on tus's ERRORS table and workbox's WorkboxError message map, but typed:
 * a code is a union member, never a free string. Tests assert on `code`, not on text.
 */
export const ERRORS = {
  unauthorized: { status: 401, message: 'Missing, unknown or revoked bearer token.' },
  not_found: { status: 404, message: 'No such resource.' },
  validation_failed: { status: 400, message: 'The request does not match the API schema.' },
  invalid_json: { status: 400, message: 'The request body is not valid JSON.' },
  unsupported_media_type: { status: 415, message: 'Unsupported Content-Type for this endpoint.' },
  digest_missing: { status: 400, message: 'A Content-Digest header with a sha-256 value is required (RFC 9530).' },
  digest_invalid: { status: 400, message: 'The Content-Digest header is malformed (RFC 9530).' },
  digest_mismatch: { status: 400, message: 'The body does not match its Content-Digest; nothing was stored.' },
  chunk_conflict: { status: 409, message: 'This chunk index is already held with different bytes.' },
  chunk_too_large: { status: 413, message: 'The chunk exceeds the configured size limit.' },
  body_too_large: { status: 413, message: 'The request body exceeds the configured size limit.' },
  index_out_of_range: { status: 400, message: 'The chunk index is outside the allowed range.' },
  total_mismatch: { status: 409, message: 'totalChunks conflicts with what the server already knows about this session.' },
  session_closed: { status: 409, message: 'The session is already finalized and accepts no new chunks.' },
  session_expired: { status: 410, message: 'The session expired after inactivity; its temporary data was removed.' },
  video_not_ready: { status: 409, message: 'The video is not complete yet.' },
  range_not_satisfiable: { status: 416, message: 'The requested byte range cannot be served.' },
  request_timeout: { status: 408, message: 'The request body did not arrive in time.' },
  /** nginx's 499: nobody reads this answer, but the log must say "client fault", not 500. */
  client_aborted: { status: 400, message: 'The client closed the connection before the request was complete; nothing was stored.' },
  user_quota_exceeded: { status: 413, message: "This upload would exceed your storage quota; nothing was stored. Free space (delete recordings) and retry." },
  recording_too_large: { status: 413, message: 'This recording exceeds the size limit per recording; nothing was stored.' },
  too_many_open_sessions: { status: 409, message: 'Too many recordings are still uploading; retry once one of them has finished.' },
  header_too_large: { status: 431, message: 'The request headers are too large.' },
  rate_limited: { status: 429, message: 'Too many requests; retry after the indicated delay.' },
  insufficient_storage: { status: 507, message: 'The server has no room to store this data; nothing was kept.' },
  service_unavailable: { status: 503, message: 'The server is temporarily unavailable.' },
  internal_error: { status: 500, message: 'Internal server error.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERRORS, value);
}

/** An error with a stable code from the catalogue and optional structured details. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, details?: Record<string, unknown>, message?: string) {
    super(message ?? ERRORS[code].message);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

/**
 * How a client should react to an answer with this HTTP status.
 * 401 holds uploads until a new token is given (a revoked token must never drop data,
 * as Screenity v4.8.0 learned); 408/429/5xx are transient; other 4xx are final for that request.
 */
export type RetryClass = 'ok' | 'retry' | 'auth' | 'fatal';

export function classifyStatus(status: number): RetryClass {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401) return 'auth';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'fatal';
}
