/** A tiny typed client for the server tests: real HTTP with fetch, answers as {status, json}. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ROUTES, type InitRequest } from '../../src/shared/api.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  json: T;
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export function makeChunks(n: number, size = 1024, seed?: Buffer): Buffer[] {
  return Array.from({ length: n }, (_, i) => (seed ? Buffer.concat([seed, Buffer.from(String(i))]) : randomBytes(size + (i % 7))));
}

export function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, json };
}

export interface ChunkOpts {
  /** Override the Content-Digest header; null omits it. */
  digest?: string | null;
  contentType?: string | null;
  /** Raw query string instead of sessionId/index. */
  query?: string;
  headers?: Record<string, string>;
}

export function client(baseUrl: string, token: string | null) {
  const auth: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
  const json = (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
    fetch(baseUrl + path, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extra },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    }).then(answer);

  return {
    token,
    init: (body: Partial<InitRequest> & Record<string, unknown> = {}) =>
      json('POST', ROUTES.init, { recordingId: randomUUID(), mimeType: 'video/webm;codecs=vp9', ...body }),
    initRaw: (body: string, contentType = 'application/json') => json('POST', ROUTES.init, body, { 'content-type': contentType }),
    chunk: (sessionId: string, index: number | string, bytes: Uint8Array, opts: ChunkOpts = {}) => {
      const headers: Record<string, string> = { ...auth, ...opts.headers };
      if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/octet-stream';
      if (opts.digest !== null) headers['content-digest'] = opts.digest ?? formatContentDigest(sha256(bytes));
      const q = opts.query ?? `sessionId=${encodeURIComponent(sessionId)}&index=${encodeURIComponent(String(index))}`;
      return fetch(`${baseUrl}${ROUTES.chunk}?${q}`, { method: 'POST', headers, body: bytes as BodyInit }).then(answer);
    },
    finalize: (body: Record<string, unknown>) => json('POST', ROUTES.finalize, body),
    finalizeRaw: (body: string) => json('POST', ROUTES.finalize, body),
    status: (id: string) => json('GET', ROUTES.video(id)),
    list: () => json('GET', ROUTES.list),
    me: () => json('GET', ROUTES.me),
    remove: (id: string) => json('DELETE', ROUTES.video(id)),
    file: async (id: string, range?: string) => {
      const res = await fetch(baseUrl + ROUTES.file(id), { headers: { ...auth, ...(range ? { range } : {}) } });
      return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
    },
    get: async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(baseUrl + path, { headers: { ...auth, ...headers } });
      return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
    },
  };
}

export type Client = ReturnType<typeof client>;

/** Uploads every chunk (in the given order of indices) and expects each to be accepted. */
export async function uploadAll(c: Client, sessionId: string, chunks: Buffer[], order = chunks.map((_, i) => i)): Promise<void> {
  for (const i of order) {
    const r = await c.chunk(sessionId, i, chunks[i]!);
    if (r.status !== 201 && r.status !== 200) throw new Error(`chunk ${i}: ${r.status} ${JSON.stringify(r.json)}`);
  }
}

/** The chunks digest a client computes from its chunks (src/shared/chunks-digest.ts). */
export async function chunksDigestOf(chunks: readonly Uint8Array[]): Promise<string> {
  const { chunksDigestHex } = await import('../../src/shared/chunks-digest.ts');
  return chunksDigestHex(chunks.map((b) => sha256(b)));
}

