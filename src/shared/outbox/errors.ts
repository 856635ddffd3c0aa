/**
 * Error codes of the outbox itself (local storage, not the HTTP API: those live in
 * src/shared/errors.ts). Same shape as ApiError so callers branch on `code`, never on text.
 */
export const OUTBOX_ERRORS = {
  quota_exceeded: 'The browser refused to store more data (storage quota exceeded); stop recording cleanly.',
  chunk_exists: 'This chunk index is already stored with different bytes.',
  recording_exists: 'A recording with this id already exists.',
  recording_not_found: 'No such recording in the outbox.',
  recording_not_open: 'The recording is no longer accepting chunks.',
  not_uploaded: 'The server has not confirmed this recording complete; deleting it would lose the video.',
  invalid_argument: 'An argument is out of range.',
  storage_failed: 'IndexedDB failed to complete the operation.',
  // Recorded in a recording's lastError by the upload pipeline:
  assembled_mismatch: "The server's copy does not match this recording (their digests differ), so the copy on this device is kept. Press Retry, or download it from the Library.",
  session_lost: 'The server lost the upload session again after a re-init; the chunks are kept.',
} as const satisfies Record<string, string>;

export type OutboxErrorCode = keyof typeof OUTBOX_ERRORS;

export class OutboxError extends Error {
  readonly code: OutboxErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: OutboxErrorCode, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(OUTBOX_ERRORS[code], options);
    this.name = 'OutboxError';
    this.code = code;
    this.details = details;
  }
}

export function isOutboxError(e: unknown, code?: OutboxErrorCode): e is OutboxError {
  return e instanceof OutboxError && (code === undefined || e.code === code);
}

/**
 * Translates a DOMException raised by IndexedDB once, where it arises: QuotaExceededError
 * (Chromium also reports quota as an AbortError on the transaction whose `error` is
 * QuotaExceededError) becomes `quota_exceeded`; anything else `storage_failed`.
 */
export function translateStorageError(e: unknown, details?: Record<string, unknown>): OutboxError {
  if (e instanceof OutboxError) return e;
  const name = (e as { name?: unknown } | null)?.name;
  const inner = (e as { target?: { error?: { name?: unknown } } } | null)?.target?.error?.name;
  if (name === 'QuotaExceededError' || inner === 'QuotaExceededError') {
    return new OutboxError('quota_exceeded', details, { cause: e });
  }
  return new OutboxError('storage_failed', { ...details, name: typeof name === 'string' ? name : undefined }, { cause: e });
}
