import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFile } from '../../src/server/paths.ts';
import { FinalizeResponse, VideoList, VideoStatus } from '../../src/shared/api.ts';
import { startTestServer, type InProcessTestServer } from '../support/server-process.ts';
import { bucketObjects, sqlOn, testBackend } from '../support/test-backend.ts';
import { chunksDigestOf, client, makeChunks, sha256, shuffle, type Client } from './helpers.ts';
import { settledStatus } from './settled.ts';

let server: InProcessTestServer;
let c: Client;

beforeAll(async () => {
  server = await startTestServer();
  c = client(server.url, await server.createUser('alice'));
});
afterAll(() => server.stop());

describe('a whole recording', () => {
  it('accepts 30 chunks in random order with duplicates and serves the exact concatenation', async () => {
    const init = await c.init({ title: 'Demo take' });
    expect(init.status).toBe(201);
    const status0 = VideoStatus.parse(init.json);
    expect(status0.shareUrl).toMatch(new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{22}$`));
    expect(status0.videoUrl).toBeNull();
    const id = status0.sessionId;

    const chunks = makeChunks(30, 4096);
    const order = shuffle([...chunks.keys(), 3, 17, 29, 0]);
    const seen = new Set<number>();
    for (const i of order) {
      const r = await c.chunk(id, i, chunks[i]!);
      expect(r.status).toBe(seen.has(i) ? 200 : 201);
      expect(r.json).toEqual({ index: i, size: chunks[i]!.length, sha256: sha256(chunks[i]!), duplicate: seen.has(i) });
      seen.add(i);
    }

    const fin = FinalizeResponse.parse((await c.finalize({ sessionId: id, totalChunks: 30, uploadedChunks: 30 })).json);
    const whole = Buffer.concat(chunks);
    expect(fin).toMatchObject({ status: 'complete', size: whole.length, chunksDigest: await chunksDigestOf(chunks), sha256: null, partial: false, missing: [] });
    if (fin.status !== 'complete') throw new Error('unreachable');
    expect(fin.shareUrl).toBe(status0.shareUrl);
    expect(fin.videoUrl).toBe(`${server.url}/api/v1/videos/${id}/file`);

    const file = await c.file(id);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('video/webm');
    expect(file.headers.get('x-content-type-options')).toBe('nosniff');
    expect(file.headers.get('content-disposition')).toBe('inline; filename="Demo take.webm"');
    expect(sha256(file.bytes)).toBe(sha256(whole));

    const st = VideoStatus.parse(await settledStatus(c, id));
    expect(st).toMatchObject({ state: 'complete', chunks: [[0, 29]], receivedChunks: 30, assembledChunks: 30, bytes: whole.length, sha256: sha256(whole), chunksDigest: await chunksDigestOf(chunks), totalChunks: 30 });
  });

  it('serves byte ranges (206) and refuses unsatisfiable ones (416)', async () => {
    const { sessionId } = (await c.init()).json;
    const chunks = makeChunks(3, 1000);
    for (const [i, b] of chunks.entries()) await c.chunk(sessionId, i, b);
    await c.finalize({ sessionId, totalChunks: 3 });
    const whole = Buffer.concat(chunks);

    const mid = await c.file(sessionId, 'bytes=100-1999');
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe(`bytes 100-1999/${whole.length}`);
    expect(mid.bytes.equals(whole.subarray(100, 2000))).toBe(true);

    const open = await c.file(sessionId, 'bytes=2500-');
    expect(open.status).toBe(206);
    expect(open.bytes.equals(whole.subarray(2500))).toBe(true);

    const suffix = await c.file(sessionId, 'bytes=-10');
    expect(suffix.bytes.equals(whole.subarray(whole.length - 10))).toBe(true);

    const beyond = await c.file(sessionId, `bytes=${whole.length}-`);
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.length}`);
    expect(JSON.parse(beyond.bytes.toString()).error.code).toBe('range_not_satisfiable');
  });

  it('answers init idempotently by recordingId', async () => {
    const first = await c.init({ recordingId: '0b6f3c1e-6c1f-4d7e-9b3a-2f8e9d1c4a55' });
    const again = await c.init({ recordingId: '0b6f3c1e-6c1f-4d7e-9b3a-2f8e9d1c4a55' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.json.sessionId).toBe(first.json.sessionId);
    expect(again.json.shareUrl).toBe(first.json.shareUrl);
  });

  it('lists only the own videos, newest first, and deletes', async () => {
    const other = client(server.url, await server.createUser('lister'));
    const a = (await other.init({ title: 'a' })).json.videoId;
    const b = (await other.init({ title: 'b' })).json.videoId;
    const list = VideoList.parse((await other.list()).json);
    expect(list.videos.map((v) => v.videoId)).toEqual([b, a]);
    expect((await other.remove(a)).status).toBe(204);
    expect((await other.status(a)).status).toBe(404);
    expect(VideoList.parse((await other.list()).json).videos.map((v) => v.videoId)).toEqual([b]);
  });

  it('tells who is signed in and refuses a missing or revoked token', async () => {
    const token = await server.createUser('carol');
    const me = await client(server.url, token).me();
    expect(me.json).toMatchObject({ name: 'carol' });
    expect((await client(server.url, null).me()).json.error.code).toBe('unauthorized');
    await server.revokeUser('carol');
    const after = await client(server.url, token).me();
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('unauthorized');
  });

  it('keeps the video on the backend this run selects (OUTBOX_TEST_BACKEND), not silently on another', async () => {
    const { sessionId } = (await c.init()).json;
    const chunks = makeChunks(2, 3000);
    for (const [i, b] of chunks.entries()) await c.chunk(sessionId, i, b);
    expect((await c.finalize({ sessionId, totalChunks: 2 })).json.status).toBe('complete');
    const onDisk = { sqlite: existsSync(databaseFile(server.dataDir)), blobs: existsSync(join(server.dataDir, 'blobs')) };
    if (testBackend() === 'disk-sqlite') {
      expect(server.shared).toBeNull();
      expect(onDisk).toEqual({ sqlite: true, blobs: true });
      return;
    }
    const shared = server.shared!;
    expect(onDisk).toEqual({ sqlite: false, blobs: false });
    expect(await bucketObjects(shared)).toContainEqual({ key: `videos/${sessionId}`, size: Buffer.concat(chunks).length });
    const rows = await sqlOn<{ state: string; n: number }>(
      shared,
      'SELECT v.state, (SELECT count(*)::int FROM chunks WHERE video_id = v.id) AS n FROM videos v WHERE v.id = $1',
      [sessionId],
    );
    expect(rows).toEqual([{ state: 'complete', n: 2 }]);
  });
});
