/**
 * What went wrong with one request, in the terms the pipeline's policy needs: the HTTP status
 * and catalogue code when the server answered, `network` when no answer arrived (refused, reset,
 * DNS, offline), `aborted` when we cancelled it, `bad_response` when a 2xx did not match the
 * schema. Retry-After (RFC 9110 §10.2.3) is carried as milliseconds.
 */
import { isErrorCode, type ErrorCode } from '../../shared/errors.ts';

export type TransportErrorKind = 'http' | 'network' | 'aborted' | 'bad_response';

export class TransportError extends Error {
  readonly kind: TransportErrorKind;
  /** HTTP status when the server answered; null otherwise. */
  readonly status: number | null;
  /** Catalogue code from the error body, when it had one. */
  readonly code: ErrorCode | null;
  readonly retryAfterMs: number | null;

  constructor(
    kind: TransportErrorKind,
    init: { status?: number | null; code?: string | null; retryAfterMs?: number | null; message?: string; cause?: unknown } = {},
  ) {
    super(init.message ?? `${kind}${init.status ? ` ${init.status}` : ''}${init.code ? ` ${init.code}` : ''}`, {
      cause: init.cause,
    });
    this.name = 'TransportError';
    this.kind = kind;
    this.status = init.status ?? null;
    this.code = isErrorCode(init.code) ? init.code : null;
    this.retryAfterMs = init.retryAfterMs ?? null;
  }

  /** A stable code for logs and lastError: the catalogue code, else the kind (or `http_<status>`). */
  get errorCode(): string {
    if (this.code) return this.code;
    if (this.kind === 'http') return `http_${this.status}`;
    return this.kind;
  }
}

/** Retry-After as delay-seconds or an HTTP-date; null when absent or unparseable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
