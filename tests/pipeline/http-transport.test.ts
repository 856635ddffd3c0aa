import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/shared/api.ts';
import { formatContentDigest, sha256Hex } from '../../src/shared/digest.ts';
import { createHttpTransport } from '../../src/sw/pipeline/http-transport.ts';
import { TransportError } from '../../src/sw/pipeline/transport-error.ts';

type Seen = { url: string; init: RequestInit };

function transportWith(answer: (seen: Seen) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  const t = createHttpTransport({
    baseUrl: 'http://127.0.0.1:9/',
    getToken: async () => 'tok',
    fetch: (async (url: string, init: RequestInit) => {
      const s = { url: String(url), init };
      seen.push(s);
      return answer(s);
    }) as unknown as typeof fetch,
  });
  return { t, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

async function caught(p: Promise<unknown>): Promise<TransportError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(TransportError);
  return e as TransportError;
}

describe('http transport', () => {
  it('sends a chunk raw with its Content-Digest and bearer token, and validates the answer', async () => {
    const data = new Uint8Array([1, 2, 3]).buffer;
    const sha = await sha256Hex(data);
    const { t, seen } = transportWith(() => json(201, { index: 4, size: 3, sha256: sha, duplicate: false }));
    const res = await t.putChunk({ sessionId: 'A'.repeat(22), index: 4, data, sha256: sha });
    expect(res).toEqual({ index: 4, size: 3, sha256: sha, duplicate: false });
    const { url, init } = seen[0]!;
    expect(url).toBe(`http://127.0.0.1:9${ROUTES.chunk}?sessionId=${'A'.repeat(22)}&index=4`);
    const headers = init.headers as Record<string, string>;
    expect(headers['content-digest']).toBe(formatContentDigest(sha));
    expect(headers.authorization).toBe('Bearer tok');
    expect(init.body).toBe(data);
  });

  it('turns an error body into status, catalogue code and Retry-After', async () => {
    const { t } = transportWith(() => json(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'retry-after': '3' }));
    const e = await caught(t.finalize({ sessionId: 'A'.repeat(22), totalChunks: 1 }));
    expect([e.kind, e.status, e.code, e.retryAfterMs]).toEqual(['http', 429, 'rate_limited', 3000]);
  });

  it('keeps the status when the error body is not ours', async () => {
    const { t } = transportWith(() => new Response('<html>bad gateway</html>', { status: 502 }));
    const e = await caught(t.status('A'.repeat(22)));
    expect([e.kind, e.status, e.code, e.errorCode]).toEqual(['http', 502, null, 'http_502']);
  });

  it('refuses a 2xx that does not match the schema (a captive portal is not a confirmation)', async () => {
    const { t } = transportWith(() => new Response('<html>welcome</html>', { status: 200 }));
    const e = await caught(t.putChunk({ sessionId: 'A'.repeat(22), index: 0, data: new ArrayBuffer(0), sha256: 'a'.repeat(64) }));
    expect(e.kind).toBe('bad_response');
  });

  it('refuses JSON answers that break the contract (zod/mini schemas checked in the worker)', async () => {
    const id = 'A'.repeat(22);
    const sha = 'a'.repeat(64);
    // Each answer is well-formed JSON, one field off the contract.
    const chunk = transportWith(() => json(201, { index: 0, size: 3, sha256: 'not-a-digest', duplicate: false })).t;
    expect((await caught(chunk.putChunk({ sessionId: id, index: 0, data: new ArrayBuffer(3), sha256: sha }))).kind).toBe('bad_response');
    const fin = transportWith(() => json(200, { status: 'complete', videoId: id, videoUrl: '/v', shareUrl: '/s', size: 3, sha256: null, totalChunks: 1.5, partial: false, missing: [] })).t;
    expect((await caught(fin.finalize({ sessionId: id, totalChunks: 1 }))).kind).toBe('bad_response');
    const unknownStatus = transportWith(() => json(200, { status: 'done', videoId: id })).t;
    expect((await caught(unknownStatus.finalize({ sessionId: id, totalChunks: 1 }))).kind).toBe('bad_response');
    const status = transportWith(() => json(200, { videoId: 'x/../y' })).t;
    expect((await caught(status.status(id))).kind).toBe('bad_response');
    // The same shape with the right values is accepted (the check is the schema, not the status code).
    const ok = transportWith(() => json(200, { status: 'complete', videoId: id, videoUrl: '/v', shareUrl: '/s', size: 3, sha256: null, chunksDigest: sha, totalChunks: 1, partial: false, missing: [] })).t;
    expect(await ok.finalize({ sessionId: id, totalChunks: 1 })).toMatchObject({ status: 'complete', chunksDigest: sha, sha256: null });
  });

  it('reports a refused connection as network and a cancelled one as aborted', async () => {
    const { t } = transportWith(() => {
      throw new TypeError('fetch failed');
    });
    expect((await caught(t.init({ recordingId: '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b', mimeType: 'video/webm' }))).kind).toBe('network');
    const ac = new AbortController();
    ac.abort();
    const { t: t2 } = transportWith(() => {
      throw new DOMException('aborted', 'AbortError');
    });
    expect((await caught(t2.status('A'.repeat(22), ac.signal))).kind).toBe('aborted');
  });
});

describe('http transport deadline', () => {
  it('reports a request that never answers as a network error after timeoutMs', async () => {
    const t = createHttpTransport({
      baseUrl: 'http://127.0.0.1:9',
      getToken: async () => null,
      timeoutMs: 20,
      fetch: ((_url: string, init: RequestInit) =>
        new Promise((_, reject) => init.signal!.addEventListener('abort', () => reject(new DOMException('x', 'AbortError'))))) as unknown as typeof fetch,
    });
    const e = await caught(t.status('A'.repeat(22)));
    expect(e.kind).toBe('network');
    expect(e.message).toMatch(/timed out/);
  });
});
