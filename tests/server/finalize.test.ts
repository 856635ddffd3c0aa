import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server-process.ts';
import { testBackend } from '../support/test-backend.ts';
import { chunksDigestOf, client, makeChunks, sha256, uploadAll, type Client } from './helpers.ts';
import { settledStatus } from './settled.ts';

let server: TestServer;
let c: Client;

beforeAll(async () => {
  server = await startTestServer();
  c = client(server.url, await server.createUser('finn'));
});
afterAll(() => server.stop());

async function session(): Promise<string> {
  return (await c.init()).json.sessionId as string;
}

describe('finalize', () => {
  it('lists exactly the missing indices and keeps the session open', async () => {
    const id = await session();
    const chunks = makeChunks(10, 500);
    await uploadAll(c, id, chunks, [0, 1, 2, 4, 5, 6, 9]);
    const fin = await c.finalize({ sessionId: id, totalChunks: 10, uploadedChunks: 10 });
    expect(fin.status).toBe(200);
    expect(fin.json).toEqual({ status: 'incomplete', videoId: id, totalChunks: 10, receivedChunks: 7, missing: [[3, 3], [7, 8]] });
    const again = await c.finalize({ sessionId: id, totalChunks: 10 });
    expect(again.json).toEqual(fin.json);
    const st = (await c.status(id)).json;
    expect(st).toMatchObject({ state: 'open', totalChunks: 10, missing: [[3, 3], [7, 8]], chunks: [[0, 2], [4, 6], [9, 9]] });
    // The held prefix 0–2 is appended on disk at once; on S3 a multipart part other than the last
    // must be at least 5 MiB (CompleteMultipartUpload's EntityTooSmall), so 1.5 kB wait for more.
    expect(st.assembledChunks).toBe(testBackend() === 'pg-s3' ? 0 : 3);
    expect((await c.file(id)).status).toBe(409);
  });

  it('completes automatically when the last missing chunk lands after an incomplete finalize', async () => {
    const id = await session();
    const chunks = makeChunks(5, 700);
    await uploadAll(c, id, chunks, [0, 2, 4]);
    expect((await c.finalize({ sessionId: id, totalChunks: 5 })).json.missing).toEqual([[1, 1], [3, 3]]);
    await uploadAll(c, id, chunks, [3]);
    expect((await c.status(id)).json.state).toBe('open');
    await uploadAll(c, id, chunks, [1]);
    const st = await settledStatus(c, id);
    expect(st).toMatchObject({ state: 'complete', sha256: sha256(Buffer.concat(chunks)), chunksDigest: await chunksDigestOf(chunks), missing: [], partial: false });
    const fin = await c.finalize({ sessionId: id, totalChunks: 5 });
    expect(fin.json).toMatchObject({ status: 'complete', sha256: sha256(Buffer.concat(chunks)), chunksDigest: await chunksDigestOf(chunks) });
  });

  it('completes partially on request, recording the gaps', async () => {
    const id = await session();
    const chunks = makeChunks(6, 300);
    await uploadAll(c, id, chunks, [0, 2, 3, 5]);
    const fin = await c.finalize({ sessionId: id, totalChunks: 6, allowPartial: true });
    const kept = Buffer.concat([chunks[0]!, chunks[2]!, chunks[3]!, chunks[5]!]);
    const keptChunks = [chunks[0]!, chunks[2]!, chunks[3]!, chunks[5]!];
    expect(fin.json).toMatchObject({ status: 'complete', partial: true, missing: [[1, 1], [4, 4]], size: kept.length, chunksDigest: await chunksDigestOf(keptChunks) });
    expect(sha256((await c.file(id)).bytes)).toBe(sha256(kept));
    expect((await c.status(id)).json).toMatchObject({ state: 'complete', partial: true, missing: [[1, 1], [4, 4]] });
    // The gaps stay gaps: the closed session takes no new chunk, but a re-sent held one is fine.
    expect((await c.chunk(id, 1, chunks[1]!)).json.error.code).toBe('session_closed');
    expect((await c.chunk(id, 2, chunks[2]!)).status).toBe(200);
    expect((await c.chunk(id, 2, chunks[3]!)).json.error.code).toBe('session_closed');
  });

  it('is idempotent once complete and refuses a different totalChunks', async () => {
    const id = await session();
    const chunks = makeChunks(3, 100);
    await uploadAll(c, id, chunks);
    const first = await c.finalize({ sessionId: id, totalChunks: 3 });
    const second = await c.finalize({ sessionId: id, totalChunks: 3 });
    // Equal but for what the after-completion job may have filled in between.
    const stable = ({ sha256: _s, recordedSha256: _r, fileSha256: _f, durationMs: _d, seekable: _k, ...rest }: Record<string, unknown>) => rest;
    expect(stable(second.json)).toEqual(stable(first.json));
    expect(first.json.chunksDigest).toBe(await chunksDigestOf(chunks));
    const other = await c.finalize({ sessionId: id, totalChunks: 4 });
    expect(other.status).toBe(409);
    expect(other.json.error.code).toBe('total_mismatch');
  });

  it('refuses a totalChunks below a held index, and chunks at or beyond a known total', async () => {
    const id = await session();
    const chunks = makeChunks(5, 100);
    await uploadAll(c, id, chunks, [4]);
    expect((await c.finalize({ sessionId: id, totalChunks: 3 })).json.error.code).toBe('total_mismatch');
    expect((await c.finalize({ sessionId: id, totalChunks: 5 })).json.status).toBe('incomplete');
    expect((await c.finalize({ sessionId: id, totalChunks: 6 })).json.error.code).toBe('total_mismatch');
    const beyond = await c.chunk(id, 5, chunks[0]!);
    expect(beyond.status).toBe(400);
    expect(beyond.json.error.code).toBe('index_out_of_range');
  });

  it('logs one event per finalize with the duration of each step, the chunk rows listed once', async () => {
    const lines: string[] = [];
    const logStream = new Writable({ write: (chunk, _enc, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) });
    const logged = await startTestServer({ env: { LOG_LEVEL: 'info' }, deps: { logStream } });
    try {
      const lc = client(logged.url, await logged.createUser('lena'));
      const id = (await lc.init()).json.sessionId as string;
      const chunks = makeChunks(6, 400);
      await uploadAll(lc, id, chunks);
      expect((await lc.finalize({ sessionId: id, totalChunks: 6 })).json.status).toBe('complete');
      const events = lines.map((l) => JSON.parse(l) as { event?: string; videoId?: string; ms?: Record<string, number> });
      const done = events.filter((e) => e.event === 'finalize/complete' && e.videoId === id);
      expect(done).toHaveLength(1);
      const ms = done[0]!.ms!;
      for (const step of ['lockWaitMs', 'videoReadMs', 'summaryMs', 'setTotalMs', 'partialCheckMs', 'listRowsMs', 'tailMs', 'receiptsMs', 'completeCallMs', 'digestMs', 'recordMs', 'totalMs']) {
        expect(ms[step], step).toBeGreaterThanOrEqual(0);
      }
      // The run's listing gave the chunks digest too: no second listing.
      expect(ms).not.toHaveProperty('relistMs');
      // Disk appends each chunk as it lands; on S3 2.5 kB never fill a 5 MiB part, so all six
      // are finalize's tail, written as the one (last) part.
      const bytes = chunks.reduce((n, b) => n + b.length, 0);
      expect(ms).toMatchObject(testBackend() === 'pg-s3' ? { tailChunks: 6, tailBytes: bytes, partsWritten: 1 } : { tailChunks: 0, tailBytes: 0, partsWritten: 0 });
    } finally {
      await logged.stop();
    }
  });
});
