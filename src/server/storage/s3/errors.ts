/**
 * Object-store failures translated to the catalogue where they arise (S3 error codes:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). A missing key is 404;
 * throttling, a 5xx or an unreachable endpoint is 503 with Retry-After; a full store (some
 * compatible servers answer 507 or XMinioStorageFull) is 507. Anything else — a wrong bucket,
 * bad credentials, EntityTooSmall from a planner bug — stays as it is: a 500 for the operator.
 */
import { ApiError } from '../../../shared/errors.ts';

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);
const TRANSIENT = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'RequestTimeTooSkewed', 'TimeoutError']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function toCatalogueError(err: unknown): unknown {
  if (err instanceof ApiError) return err;
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | null;
  const name = e?.name ?? '';
  const status = e?.$metadata?.httpStatusCode;
  let api: ApiError | null = null;
  if (NOT_FOUND.has(name)) api = new ApiError('not_found');
  else if (name === 'XMinioStorageFull' || status === 507) api = new ApiError('insufficient_storage');
  else if (TRANSIENT.has(name) || (status !== undefined && status >= 500) || NETWORK.has(e?.code ?? '')) {
    api = new ApiError('service_unavailable', { retryAfterSec: 1 });
  }
  if (!api) return err;
  Object.defineProperty(api, 'cause', { value: err, enumerable: false });
  return api;
}
