/**
 * The in-order fast path: a chunk at the recorded prefix is written straight into the output and
 * recorded with the new prefix in one step — never stored as a chunk object; an out-of-order one
 * is stored and written once the prefix reaches it. Observed through the stores' calls.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { addUser } from '../../src/server/users.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';
import { diskStores, intercept } from '../support/stores.ts';
import { client, makeChunks, sha256 } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('chunk ingest fast path', () => {
  it('writes in-order chunks straight into the output, stores only out-of-order ones, keeps nothing of a mismatch', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'outbox-fast-'));
    dirs.push(dataDir);
    const stores = await diskStores(dataDir);
    const put: number[] = [];
    const written: number[] = [];
    const app = buildServer(loadConfig({ LOG_LEVEL: 'warn', OUTBOX_DATA_DIR: dataDir }), {
      stores: {
        ...stores,
        chunks: intercept(stores.chunks, { put: async (ref, body) => (put.push(ref.index), stores.chunks.put(ref, body)) }),
        output: intercept(stores.output, { write: async (h, seg, bytes) => (written.push(seg.first), stores.output.write(h, seg, bytes)) }),
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const c = client(url, (await addUser(app.outbox.repo, 'fast', Date.now())).token);
      const id = (await c.init()).json.sessionId as string;
      const chunks = makeChunks(4, 5000);

      const bad = await c.chunk(id, 0, chunks[0]!, { digest: formatContentDigest(sha256(chunks[1]!)) });
      expect(bad.json.error.code).toBe('digest_mismatch');
      expect({ put, written }).toEqual({ put: [], written: [] });

      expect((await c.chunk(id, 0, chunks[0]!)).status).toBe(201);
      expect((await c.chunk(id, 2, chunks[2]!)).status).toBe(201); // out of order: a chunk object
      expect({ put, written }).toEqual({ put: [2], written: [0] });
      expect((await c.chunk(id, 1, chunks[1]!)).status).toBe(201); // fast path, then 2 follows from its object
      expect({ put, written }).toEqual({ put: [2], written: [0, 1, 2] });
      await expect(app.outbox.ctx.chunks.get({ videoId: id, index: 2, sha256: sha256(chunks[2]!) })).rejects.toMatchObject({ code: 'not_found' });
      expect(readdirSync(join(dataDir, 'tmp', 'incoming'))).toEqual([]);
      expect((await c.status(id)).json.assembledChunks).toBe(3);

      expect((await c.chunk(id, 3, chunks[3]!)).status).toBe(201);
      const fin = await c.finalize({ sessionId: id, totalChunks: 4 });
      expect(fin.json).toMatchObject({ status: 'complete', chunksDigest: await chunksDigestHex(chunks.map((b) => sha256(b))), sha256: null });
      expect(sha256((await c.file(id)).bytes)).toBe(sha256(Buffer.concat(chunks)));
      expect({ put, written }).toEqual({ put: [2], written: [0, 1, 2, 3] });
    } finally {
      await app.close();
    }
  });
});

describe('stored path races', () => {
  it('a chunk whose row lost to other bytes for its index answers 409 and leaves no object behind', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'outbox-race-'));
    dirs.push(dataDir);
    const stores = await diskStores(dataDir);
    const a = Buffer.alloc(3000, 1);
    const b = Buffer.alloc(3000, 2);
    // Both requests pass their first check (no row yet) before either records: A stores only
    // once B is storing, B only after A answered.
    let bStoring!: () => void;
    const bIsStoring = new Promise<void>((r) => (bStoring = r));
    let aAnswered!: () => void;
    const aDone = new Promise<void>((r) => (aAnswered = r));
    const chunks = intercept(stores.chunks, {
      put: async (ref, body) => {
        if (ref.sha256 === sha256(a)) await bIsStoring;
        if (ref.sha256 === sha256(b)) {
          bStoring();
          await aDone;
        }
        return stores.chunks.put(ref, body);
      },
    });
    const app = buildServer(loadConfig({ LOG_LEVEL: 'warn', OUTBOX_DATA_DIR: dataDir }), { stores: { ...stores, chunks } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const c = client(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, (await addUser(app.outbox.repo, 'race', Date.now())).token);
      const id = (await c.init()).json.sessionId as string;
      const first = c.chunk(id, 5, a).then((r) => (aAnswered(), r));
      const second = c.chunk(id, 5, b);
      expect((await first).status).toBe(201);
      expect((await second).json.error.code).toBe('chunk_conflict');
      expect(Buffer.concat(await app.outbox.ctx.chunks.get({ videoId: id, index: 5, sha256: sha256(a) })).equals(a)).toBe(true);
      await expect(app.outbox.ctx.chunks.get({ videoId: id, index: 5, sha256: sha256(b) })).rejects.toMatchObject({ code: 'not_found' });
      expect((await c.status(id)).json).toMatchObject({ chunks: [[5, 5]], bytes: 3000 });
    } finally {
      await app.close();
    }
  });
});
