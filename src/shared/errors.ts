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
  user_quota_exceeded: { status: 413, message: 'This upload would exceed your storage quota; nothing was stored. Free space (delete recordings) and retry.' },
  recording_too_large: { status: 413, message: 'This recording exceeds the size limit per recording; nothing was stored.' },
  too_many_open_sessions: { status: 409, message: 'Too many recordings are still uploading; retry once one of them has finished.' },
  index_out_of_range: { status: 400, message: 'The chunk index is outside the allowed range.' },
  total_mismatch: { status: 409, message: 'totalChunks conflicts with what the server already knows about this session.' },
  session_closed: { status: 409, message: 'The session is already finalized and accepts no new chunks.' },
  session_expired: { status: 410, message: 'The session expired after inactivity; its temporary data was removed.' },
  video_not_ready: { status: 409, message: 'The video is not complete yet.' },
  poster_invalid: { status: 415, message: 'The poster must be a JPEG image (image/jpeg) of at most 512 KiB.' },
  range_not_satisfiable: { status: 416, message: 'The requested byte range cannot be served.' },
  request_timeout: { status: 408, message: 'The request body did not arrive in time.' },
  /** nginx's 499: nobody reads this answer, but the log must say "client fault", not 500. */
  client_aborted: { status: 400, message: 'The client closed the connection before the request was complete; nothing was stored.' },
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
 * Does waiting help? The one place that decides which failed answers a client keeps retrying on
 * its own (capped backoff, forever while a context lives) and which stay failed until the user
 * acts, with the words to show them. A mail outbox does not give up on a message because the
 * server was away for a while; it does give up on one the server will refuse every time.
 *
 * Waiting helps: no answer, 408, 429, 5xx, `too_many_open_sessions` (sessions finish or expire),
 * a body garbled on the way (`digest_mismatch` from the server while the local bytes still match
 * their digest), and every code not named below. 401 and a lost session (404/410) have their own
 * handling in the pipeline. Waiting cannot help: the answers below, where the same request gets
 * the same answer until something changes on the user's side.
 */
export const USER_ACTION_FAILURES = {
  user_quota_exceeded: 'Your storage on the server is full. Delete recordings in the Library, then press Retry.',
  recording_too_large: 'This recording is larger than the server accepts for one recording. It is kept on this device; download it from the Library.',
  chunk_too_large: 'Part of this recording is larger than the server accepts. It is kept on this device; lower the quality or the chunk length in Settings for new recordings.',
  body_too_large: 'Part of this recording is larger than the server accepts. It is kept on this device; lower the quality or the chunk length in Settings for new recordings.',
  chunk_conflict: 'The server already holds different data for part of this recording. It is kept on this device; download it from the Library.',
  local_copy_corrupt: 'Part of the copy on this device no longer matches what was recorded, so it cannot be uploaded safely. Download what is kept from the Library.',
  session_lost: 'The server lost this recording twice while it was uploading. It is kept on this device; press Retry to start its upload again.',
  session_expired: 'The server discarded this unfinished recording after a long time without uploads. It is kept on this device; download it from the Library.',
  session_closed: 'The server already closed this recording. It is kept on this device; press Retry, or download it from the Library.',
  total_mismatch: 'The server has a different length for this recording. It is kept on this device; download it from the Library.',
  index_out_of_range: 'The server refused part of this recording as out of range. It is kept on this device; download it from the Library.',
  validation_failed: 'The server refused a request of this app as malformed. The recording is kept on this device; update the app and press Retry.',
} as const;

export type UserActionCode = keyof typeof USER_ACTION_FAILURES;

export type Remedy = { kind: 'wait' } | { kind: 'user'; code: string; words: string };

/** `code` is a catalogue code, `local_copy_corrupt`, or `http_<status>` for a bare status. */
export function remedyFor(code: string, status: number | null): Remedy {
  if (Object.hasOwn(USER_ACTION_FAILURES, code)) return { kind: 'user', code, words: USER_ACTION_FAILURES[code as UserActionCode] };
  // A 413 without one of our codes (a proxy's limit) will not pass by waiting either.
  if (status === 413) return { kind: 'user', code, words: USER_ACTION_FAILURES.body_too_large };
  return { kind: 'wait' };
}
