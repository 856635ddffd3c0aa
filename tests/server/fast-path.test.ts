/**
 * The in-order fast path: a chunk that is next in line is verified in memory and
 * written once into the assembled file with an append-journal record — no staged file, nothing
 * kept when its digest does not match; an out-of-order chunk still goes through a staged file.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { blobRoot } from '../../src/server/paths.ts';
import { AppenderCache } from '../../src/server/storage/appender-cache.ts';
import type { StagedChunk } from '../../src/server/storage/blob-store.ts';
import { FsBlobStore } from '../../src/server/storage/fs-blob-store.ts';
import { addUser } from '../../src/server/users.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { client, makeChunks, sha256 } from './helpers.ts';

const VID = 'BBBBBBBBBBBBBBBBBBBBBB';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('FsBlobStore.appendToAssembled', () => {
  it('writes at the recorded end, cuts stale bytes beyond it, and journals each append', async () => {
    const root = tempDir('outbox-fast-store-');
    const s = new FsBlobStore(root);
    await s.init();
    const a = Buffer.from('first-'), b = Buffer.from('second');
    await s.appendToAssembled(VID, 0, [a.subarray(0, 2), a.subarray(2)], 0, sha(a));
    // A retry at offset 0 (e.g. after a failed commit) replaces, never duplicates.
    await s.appendToAssembled(VID, 0, [a], 0, sha(a));
    await s.appendToAssembled(VID, 1, [b], a.length, sha(b));
    expect(readFileSync(join(root, 'videos', VID, 'assembled'))).toEqual(Buffer.concat([a, b]));
    expect(await s.readAppendJournal(VID)).toEqual([
      { index: 0, offset: 0, size: a.length, sha256: sha(a) },
      { index: 0, offset: 0, size: a.length, sha256: sha(a) },
      { index: 1, offset: a.length, size: b.length, sha256: sha(b) },
    ]);
    // Beyond the end of the file is refused, and nothing is written.
    await expect(s.appendToAssembled(VID, 3, [b], 100, sha(b))).rejects.toThrow();
    expect(await s.assembledSize(VID)).toBe(a.length + b.length);
    await s.close();
    await s.deleteVideo(VID);
    expect(await s.readAppendJournal(VID)).toEqual([]);
    expect(await s.listVideos()).toEqual([]);
  });
});

/** Counts which path each stored chunk took. */
class PathCountingStore extends FsBlobStore {
  fast: number[] = [];
  published: number[] = [];
  override async appendToAssembled(videoId: string, index: number, bytes: readonly Buffer[], at: number, s: string): Promise<void> {
    await super.appendToAssembled(videoId, index, bytes, at, s);
    this.fast.push(index);
  }
  override async commitChunk(staged: StagedChunk): Promise<void> {
    await super.commitChunk(staged);
    this.published.push(staged.index);
  }
}

describe('AppenderCache', () => {
  it('never closes handles an append is using; evicts the oldest idle entry beyond its bound', async () => {
    const root = tempDir('outbox-appenders-');
    const cache = new AppenderCache();
    const get = (i: number) => cache.get(`v${i}`, join(root, `d${i}`), join(root, `j${i}`));
    const apps = [];
    for (let i = 0; i < 33; i++) apps.push(await get(i)); // all in use: nothing may be closed
    expect(apps.every((a) => a.data.fd >= 0 && a.journal.fd >= 0)).toBe(true);
    for (const a of apps) cache.put(a);
    cache.put(await get(33)); // over the bound with idle entries: the least recently used goes
    expect(apps[0]!.data.fd).toBe(-1);
    expect(apps.slice(1).every((a) => a.data.fd >= 0)).toBe(true);
    await cache.closeAll();
    expect(apps.every((a) => a.data.fd === -1 && a.journal.fd === -1)).toBe(true);
  });
});

describe('chunk ingest fast path', () => {
  it('keeps nothing of a mismatching in-order chunk and stages nothing for a matching one', async () => {
    const dataDir = tempDir('outbox-fast-');
    const store = new PathCountingStore(blobRoot(dataDir));
    const app = buildServer(loadConfig({ LOG_LEVEL: 'warn', OUTBOX_DATA_DIR: dataDir }), { blobStore: store });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const c = client(url, (await addUser(app.outbox.repo, 'fast', Date.now())).token);
    const id = (await c.init()).json.sessionId as string;
    const chunks = makeChunks(4, 5000);
    const vdir = join(dataDir, 'blobs', 'videos', id);
    const assembled = join(vdir, 'assembled');

    const bad = await c.chunk(id, 0, chunks[0]!, { digest: formatContentDigest(sha256(chunks[1]!)) });
    expect(bad.status).toBe(400);
    expect(existsSync(assembled) ? statSync(assembled).size : 0).toBe(0);

    expect((await c.chunk(id, 0, chunks[0]!)).status).toBe(201);
    expect((await c.chunk(id, 2, chunks[2]!)).status).toBe(201); // out of order: a staged file
    expect(readdirSync(vdir).sort()).toEqual(['2.chunk', 'assembled']);
    expect((await c.chunk(id, 1, chunks[1]!)).status).toBe(201); // fast path, then 2 follows
    expect(readdirSync(vdir)).toEqual(['assembled']);
    expect(readdirSync(join(dataDir, 'blobs', 'tmp'))).toEqual([]);
    expect(statSync(assembled).size).toBe(Buffer.concat(chunks.slice(0, 3)).length);
    expect((await c.status(id)).json.assembledChunks).toBe(3);

    expect((await c.chunk(id, 3, chunks[3]!)).status).toBe(201);
    const fin = await c.finalize({ sessionId: id, totalChunks: 4 });
    expect(fin.json).toMatchObject({ status: 'complete', sha256: sha256(Buffer.concat(chunks)) });
    expect(store.fast).toEqual([0, 1, 3]);
    expect(store.published).toEqual([2]);
    await app.close();
  });
});
