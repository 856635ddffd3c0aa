/**
 * The one place where any failure becomes an HTTP answer `{error:{code,message,details?}}`
 * (src/shared/errors.ts). Fastify's own errors are mapped to catalogue codes; anything unknown
 * is logged with the request's context and answered 500 `internal_error` without internals.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from '../../shared/api.ts';
import { ApiError, type ErrorCode } from '../../shared/errors.ts';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_VALIDATION: 'validation_failed',
  FST_ERR_BAD_URL: 'validation_failed',
  FST_ERR_MAX_PARAM_LENGTH: 'not_found',
  FST_ERR_ASYNC_CONSTRAINT: 'validation_failed',
  FST_ERR_NOT_FOUND: 'not_found',
};

/** Returns the catalogue error for a known failure, or null for an unexpected one. */
export function toApiError(err: unknown, request?: FastifyRequest): ApiError | null {
  if (err instanceof ApiError) return err;
  const e = err as Partial<FastifyError> & { code?: string; type?: string };
  // The connection was reset mid-body (flaky network, tab or browser closed): Node's request
  // stream fails with `aborted`/ECONNRESET. A client fault, not a server error.
  if (request?.raw.aborted || (e?.code === 'ECONNRESET' && e.message === 'aborted')) return new ApiError('client_aborted');
  if (e?.code && FASTIFY_CODES[e.code]) return new ApiError(FASTIFY_CODES[e.code]!);
  if (e?.validation) return new ApiError('validation_failed');
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') return new ApiError('insufficient_storage');
  // Node's http parser and raw-body errors for malformed requests carry a 4xx status.
  if (typeof e?.statusCode === 'number' && e.statusCode === 413) return new ApiError('body_too_large');
  if (typeof e?.statusCode === 'number' && e.statusCode === 408) return new ApiError('request_timeout');
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new ApiError('validation_failed');
  return null;
}

export function errorBody(err: ApiError): ErrorBody {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

export function sendApiError(request: FastifyRequest, reply: FastifyReply, err: ApiError): FastifyReply {
  // A body we did not read would otherwise be parsed as the next request on this connection.
  if (!request.raw.complete) reply.header('connection', 'close');
  if ((err.code === 'rate_limited' || err.code === 'service_unavailable') && typeof err.details?.retryAfterSec === 'number') {
    reply.header('retry-after', String(err.details.retryAfterSec));
  }
  // RFC 9110 §11.6.1: a 401 carries a challenge; RFC 6750 §3 names the scheme.
  if (err.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="outbox"');
  if (err.code === 'range_not_satisfiable' && typeof err.details?.size === 'number') {
    reply.header('content-range', `bytes */${err.details.size}`);
  }
  return reply.code(err.status).type('application/json; charset=utf-8').send(errorBody(err));
}

/**
 * Node's HTTP parser rejects some requests before fastify sees them (malformed request line,
 * oversized headers, a header timeout). Fastify's default answer there is its own JSON shape;
 * this writes ours, on the raw socket, then closes it (the stream cannot be trusted any more).
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const api =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiError('header_too_large')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ApiError('request_timeout')
        : new ApiError('validation_failed');
  const body = JSON.stringify(errorBody(api));
  socket.end(
    `HTTP/1.1 ${api.status} ${STATUS_CODES[api.status] ?? 'Error'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n' +
      body,
  );
}

export function errorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const api = toApiError(err, request);
  if (api) {
    const level = api.status >= 500 ? 'error' : 'info';
    request.log[level]({ event: 'http/error', code: api.code, method: request.method, url: request.routeOptions.url ?? 'unmatched' });
    return sendApiError(request, reply, api);
  }
  request.log.error({ event: 'http/internal-error', err, method: request.method, url: request.routeOptions.url ?? 'unmatched' });
  return sendApiError(request, reply, new ApiError('internal_error'));
}
