/** Every bad input gets a clear 4xx with its catalogue code, and nothing is stored. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody } from '../../src/shared/api.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { client, sha256, type Answer, type Client } from './helpers.ts';

let server: TestServer;
let c: Client;
let id: string;
const MAX = 64 * 1024;

beforeAll(async () => {
  server = await startTestServer({ env: { OUTBOX_MAX_CHUNK_BYTES: String(MAX), OUTBOX_MAX_CHUNK_INDEX: '1000' } });
  c = client(server.url, await server.createUser('bob'));
  id = (await c.init()).json.sessionId;
});
afterAll(() => server.stop());

function expectError(a: Answer, status: number, code: string): void {
  expect({ status: a.status, code: a.json?.error?.code }).toEqual({ status, code });
  expect(ErrorBody.safeParse(a.json).success).toBe(true);
}

async function nothingStored(): Promise<void> {
  const st = (await c.status(id)).json;
  expect(st.receivedChunks).toBe(0);
  expect(readdirSync(join(server.dataDir, 'tmp', 'incoming'))).toEqual([]);
}

describe('chunk upload refuses', () => {
  const bytes = Buffer.from('some chunk bytes');
  it('a body that does not match its digest', async () => {
    expectError(await c.chunk(id, 0, bytes, { digest: formatContentDigest(sha256(Buffer.from('other'))) }), 400, 'digest_mismatch');
    await nothingStored();
  });
  it('a missing digest', async () => expectError(await c.chunk(id, 0, bytes, { digest: null }), 400, 'digest_missing'));
  it('a digest with another algorithm only', async () =>
    expectError(await c.chunk(id, 0, bytes, { digest: 'sha-512=:AAAA:' }), 400, 'digest_missing'));
  it('a malformed digest', async () => {
    expectError(await c.chunk(id, 0, bytes, { digest: 'sha-256=abc' }), 400, 'digest_invalid');
    expectError(await c.chunk(id, 0, bytes, { digest: 'sha-256=:AAAA:' }), 400, 'digest_invalid');
  });
  it('an oversize chunk declared by Content-Length', async () => {
    const big = Buffer.alloc(MAX + 1, 7);
    expectError(await c.chunk(id, 0, big), 413, 'chunk_too_large');
    await nothingStored();
  });
  it('an oversize chunk sent without Content-Length (counted while streaming)', async () => {
    const big = Buffer.alloc(MAX + 10_000, 9);
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (let o = 0; o < big.length; o += 8192) ctrl.enqueue(big.subarray(o, o + 8192));
        ctrl.close();
      },
    });
    const res = await fetch(`${server.url}/api/v1/videos/chunk?sessionId=${id}&index=0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/octet-stream', 'content-digest': formatContentDigest(sha256(big)) },
      body: stream,
      duplex: 'half',
    } as RequestInit).catch((e: unknown) => e);
    // Over a streamed body the server may close the connection while the client still sends.
    if (res instanceof Response) {
      expect(res.status).toBe(413);
      expect(((await res.json()) as any).error.code).toBe('chunk_too_large');
    }
    await nothingStored();
  });
  it('a wrong content type', async () => {
    expectError(await c.chunk(id, 0, bytes, { contentType: 'application/json' }), 415, 'unsupported_media_type');
    expectError(await c.chunk(id, 0, bytes, { contentType: 'text/plain' }), 415, 'unsupported_media_type');
  });
  it('an unknown session', async () => expectError(await c.chunk('AAAAAAAAAAAAAAAAAAAAAA', 0, bytes), 404, 'not_found'));
  it('a malformed session id', async () => {
    expectError(await c.chunk('../../etc/passwd', 0, bytes), 400, 'validation_failed');
    expectError(await c.chunk('', 0, bytes), 400, 'validation_failed');
  });
  it('bad indices: negative, huge, beyond the limit, non-integer', async () => {
    expectError(await c.chunk(id, -1, bytes), 400, 'index_out_of_range');
    expectError(await c.chunk(id, '99999999999999999999', bytes), 400, 'index_out_of_range');
    expectError(await c.chunk(id, 1001, bytes), 400, 'index_out_of_range');
    expectError(await c.chunk(id, '1.5', bytes), 400, 'validation_failed');
    expectError(await c.chunk(id, 'abc', bytes), 400, 'validation_failed');
    expectError(await c.chunk(id, '01', bytes), 400, 'validation_failed');
    await nothingStored();
  });
  it('unexpected query parameters', async () =>
    expectError(await c.chunk(id, 0, bytes, { query: `sessionId=${id}&index=0&extra=1` }), 400, 'validation_failed'));
  it('the same index with different bytes (and keeps the first)', async () => {
    const s = (await c.init()).json.sessionId;
    expect((await c.chunk(s, 0, Buffer.from('first'))).status).toBe(201);
    expectError(await c.chunk(s, 0, Buffer.from('second')), 409, 'chunk_conflict');
    expect((await c.status(s)).json.receivedChunks).toBe(1);
    expect((await c.chunk(s, 0, Buffer.from('first'))).json).toMatchObject({ duplicate: true });
  });
});

describe('JSON endpoints refuse', () => {
  it('bad JSON', async () => {
    expectError(await c.initRaw('{"recordingId": '), 400, 'invalid_json');
    expectError(await c.finalizeRaw('not json'), 400, 'invalid_json');
  });
  it('an empty JSON body', async () => expectError(await c.initRaw(''), 400, 'invalid_json'));
  it('a non-JSON content type', async () => expectError(await c.initRaw('x', 'text/plain'), 415, 'unsupported_media_type'));
  it('schema violations', async () => {
    expectError(await c.init({ recordingId: 'not-a-uuid' }), 400, 'validation_failed');
    expectError(await c.init({ mimeType: 'text/html' }), 400, 'validation_failed');
    expectError(await c.init({ extra: true }), 400, 'validation_failed');
    expectError(await c.finalize({ sessionId: id, totalChunks: 0 }), 400, 'validation_failed');
    expectError(await c.finalize({ sessionId: id, totalChunks: 1.5 }), 400, 'validation_failed');
    expectError(await c.finalize({ sessionId: '../x', totalChunks: 1 }), 400, 'validation_failed');
  });
  it('an oversized JSON body', async () =>
    expectError(await c.initRaw(JSON.stringify({ title: 'x'.repeat(200_000) })), 413, 'body_too_large'));
  it('finalize of an unknown session', async () =>
    expectError(await c.finalize({ sessionId: 'AAAAAAAAAAAAAAAAAAAAAA', totalChunks: 1 }), 404, 'not_found'));
});

describe('other routes refuse', () => {
  it('unknown API routes with 404 not_found (JSON)', async () => {
    const r = await c.get('/api/v1/nope');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.bytes.toString()).error.code).toBe('not_found');
  });
  it('malformed video ids with 404', async () => {
    for (const bad of ['x', '..', '%2e%2e%2fetc', 'A'.repeat(300)]) {
      const r = await c.get(`/api/v1/videos/${bad}`);
      expect(r.status).toBe(404);
    }
  });
  it('the file of a video that is not complete', async () => {
    const r = await c.file(id);
    expect(r.status).toBe(409);
    expect(JSON.parse(r.bytes.toString()).error.code).toBe('video_not_ready');
  });
  it('a missing or malformed bearer token', async () => {
    for (const auth of [undefined, 'Bearer', 'Bearer x', 'Basic Zm9vOmJhcg==', `Bearer obx_${'A'.repeat(43)}`]) {
      const res = await fetch(`${server.url}/api/v1/videos`, { headers: auth ? { authorization: auth } : {} });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('unauthorized');
    }
  });
});
