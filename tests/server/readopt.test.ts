/**
 * Lost commits (docs/API.md "Durability and recovery"): the per-chunk commits run with SQLite
 * `synchronous = NORMAL`, so a power loss can drop the last ones while the assembled file and its
 * append journal — flushed before each commit — hold the bytes. Simulated by deleting the last
 * chunk rows and rewinding the assembled counters with the server stopped; on restart, recovery
 * must re-adopt exactly the journal-verified chunks, and the video must complete with the right
 * SHA-256. A tail byte that no longer matches its journal record must not be adopted.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, openSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseFile } from '../../src/server/paths.ts';
import { startTestServer } from '../support/server-process.ts';
import { client, makeChunks, sha256, uploadAll } from './helpers.ts';

const dataDirs: string[] = [];
afterAll(() => dataDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Forgets the commits of chunks `from`… as a power loss would: rows gone, counters rewound. */
function loseCommitsFrom(dataDir: string, videoId: string, from: number, sizes: number[]): void {
  const db = new Database(databaseFile(dataDir));
  try {
    db.prepare('DELETE FROM chunks WHERE video_id = ? AND idx >= ?').run(videoId, from);
    const bytes = sizes.slice(0, from).reduce((a, b) => a + b, 0);
    db.prepare('UPDATE videos SET assembled_chunks = ?, assembled_bytes = ? WHERE id = ?').run(from, bytes, videoId);
  } finally {
    db.close();
  }
}

async function scenario(corruptLast: boolean) {
  const dataDir = mkdtempSync(join(tmpdir(), 'outbox-readopt-'));
  dataDirs.push(dataDir);
  const N = 8;
  const chunks = makeChunks(N, 3000);
  let server = await startTestServer({ dataDir });
  const token = await server.createUser('readopt');
  let c = client(server.url, token);
  const id = (await c.init()).json.sessionId as string;
  await uploadAll(c, id, chunks, [0, 1, 2, 3, 4, 5]); // in order: the fast path
  expect((await c.status(id)).json.assembledChunks).toBe(6);
  await server.stop();

  loseCommitsFrom(dataDir, id, 3, chunks.map((b) => b.length));
  const assembled = join(dataDir, 'blobs', 'videos', id, 'assembled');
  if (corruptLast) {
    const fd = openSync(assembled, 'r+');
    writeSync(fd, Buffer.from([chunks[5]![10]! ^ 0xff]), 0, 1, statSync(assembled).size - chunks[5]!.length + 10);
    closeSync(fd);
  }

  server = await startTestServer({ dataDir });
  c = client(server.url, token);
  const st = (await c.status(id)).json;
  const adopted = corruptLast ? 5 : 6;
  expect(st.assembledChunks).toBe(adopted);
  expect(st.chunks).toEqual([[0, adopted - 1]]);
  expect(statSync(assembled).size).toBe(Buffer.concat(chunks.slice(0, adopted)).length);

  // Re-sent adopted chunks are recognised byte for byte; the rest upload and complete the video.
  expect((await c.chunk(id, 4, chunks[4]!)).status).toBe(200);
  await uploadAll(c, id, chunks, [...chunks.keys()].filter((i) => i >= adopted));
  const fin = await c.finalize({ sessionId: id, totalChunks: N });
  const whole = Buffer.concat(chunks);
  expect(fin.json).toMatchObject({ status: 'complete', size: whole.length, sha256: sha256(whole) });
  expect(sha256((await c.file(id)).bytes)).toBe(sha256(whole));
  await server.stop();
}

describe('re-adoption of appends whose commit was lost', () => {
  it('re-adopts the journal-verified tail of the assembled file', () => scenario(false));
  it('does not adopt a tail chunk whose bytes no longer match the journal', () => scenario(true));
});
