/**
 * The Transport port over fetch: API v1 routes, bearer token, RFC 9530 Content-Digest on each
 * chunk, and every 2xx body checked against the contract's schemas (a proxy or captive portal
 * answering 200 with HTML must not count as a confirmation). The checks are compiled from the
 * zod schemas at build time (src/shared/checks), so zod itself is not in the worker.
 */
import { CHUNK_CONTENT_TYPE, HEADERS, ROUTES } from '../../shared/api.ts';
import { checkChunkResponse, checkErrorBody, checkFinalizeResponse, checkVideoStatus, type Check } from '../../shared/checks/checks.ts';
import { formatContentDigest } from '../../shared/digest.ts';
import type { Transport } from './ports.ts';
import { TransportError, parseRetryAfter } from './transport-error.ts';

export interface HttpTransportOptions {
  /** Origin (and optional path prefix) of the API server, e.g. `http://127.0.0.1:8080`; '' for same-origin. */
  baseUrl: string;
  getToken: () => Promise<string | null>;
  fetch?: typeof fetch;
  /**
   * Per-request deadline. A black-holed connection would otherwise hold an upload slot forever;
   * a timeout is reported as `network` (outcome unknown, retried, the re-send is a duplicate).
   */
  timeoutMs?: number;
}

export function createHttpTransport(opts: HttpTransportOptions): Transport {
  const doFetch = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const base = opts.baseUrl.replace(/\/+$/, '');

  async function call<T>(
    check: Check<T>,
    path: string,
    init: { method: string; body?: BodyInit; headers?: Record<string, string> },
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const token = await opts.getToken();
    const headers: Record<string, string> = { ...init.headers };
    if (token) headers[HEADERS.authorization] = `Bearer ${token}`;
    const deadline = AbortSignal.timeout(opts.timeoutMs ?? 60_000);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    const noAnswer = (e: unknown, what: string) =>
      signal?.aborted
        ? new TransportError('aborted', { cause: e })
        : new TransportError('network', { cause: e, message: deadline.aborted ? `${what}: timed out` : `${what}: ${(e as Error)?.message ?? e}` });
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, { method: init.method, body: init.body ?? null, headers, signal: combined });
    } catch (e) {
      throw noAnswer(e, 'no answer');
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      // The status line arrived but the body was cut (reset mid-answer): the outcome is unknown.
      throw noAnswer(e, 'answer cut short');
    }
    if (!res.ok) {
      let code: string | null = null;
      try {
        code = checkErrorBody(JSON.parse(text))?.error.code ?? null;
      } catch {
        // Not our JSON (a proxy's error page): the status alone decides.
      }
      throw new TransportError('http', {
        status: res.status,
        code,
        retryAfterMs: parseRetryAfter(res.headers.get(HEADERS.retryAfter), Date.now()),
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new TransportError('bad_response', { status: res.status, cause: e, message: 'answer is not JSON' });
    }
    const checked = check(json);
    if (checked === null) {
      throw new TransportError('bad_response', { status: res.status, message: 'answer does not match the API schema' });
    }
    return checked;
  }

  const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

  return {
    init: (req, signal) => call(checkVideoStatus, ROUTES.init, { method: 'POST', ...json(req) }, signal),
    putChunk: (req, signal) => {
      const q = new URLSearchParams({ sessionId: req.sessionId, index: String(req.index) });
      return call(
        checkChunkResponse,
        `${ROUTES.chunk}?${q}`,
        {
          method: 'POST',
          body: req.data,
          headers: { 'content-type': CHUNK_CONTENT_TYPE, [HEADERS.contentDigest]: formatContentDigest(req.sha256) },
        },
        signal,
      );
    },
    finalize: (req, signal) => call(checkFinalizeResponse, ROUTES.finalize, { method: 'POST', ...json(req) }, signal),
    status: (videoId, signal) => call(checkVideoStatus, ROUTES.video(videoId), { method: 'GET' }, signal),
  };
}
