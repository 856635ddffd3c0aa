/**
 * The in-order fast path: a chunk at the recorded prefix is written straight into the output and
 * recorded with the new prefix in one step — never stored as a chunk object; an out-of-order one
 * is stored and written once the prefix reaches it. Observed through the stores' calls, on both
 * backends (OUTBOX_TEST_BACKEND): a chunk is a segment by itself on disk at any size, on S3 only
 * at S3's 5 MiB part minimum, so the chunks are that large there.
 */
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { MIN_PART_BYTES } from '../../src/server/storage/s3/part-planner.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { formatContentDigest } from '../../src/shared/digest.ts';
import type { InProcessTestServer } from '../support/server-process.ts';
import { diskLayout, intercept, startServerWithStores } from '../support/stores.ts';
import { testBackend } from '../support/test-backend.ts';
import { client, makeChunks, sha256 } from './helpers.ts';

const servers: InProcessTestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

const CHUNK_BYTES = testBackend() === 'pg-s3' ? MIN_PART_BYTES : 5000;

describe('chunk ingest fast path', () => {
  it('writes in-order chunks straight into the output, stores only out-of-order ones, keeps nothing of a mismatch', async () => {
    const put: number[] = [];
    const written: number[] = [];
    const server = await startServerWithStores(({ chunks, output }) => ({
      chunks: intercept(chunks, { put: async (ref, body) => (put.push(ref.index), chunks.put(ref, body)) }),
      output: intercept(output, { write: async (h, seg, bytes) => (written.push(seg.first), output.write(h, seg, bytes)) }),
    }));
    servers.push(server);
    const c = client(server.url, await server.createUser('fast'));
    const id = (await c.init()).json.sessionId as string;
    const chunks = makeChunks(4, CHUNK_BYTES);

    const bad = await c.chunk(id, 0, chunks[0]!, { digest: formatContentDigest(sha256(chunks[1]!)) });
    expect(bad.json.error.code).toBe('digest_mismatch');
    expect({ put, written }).toEqual({ put: [], written: [] });

    expect((await c.chunk(id, 0, chunks[0]!)).status).toBe(201);
    expect((await c.chunk(id, 2, chunks[2]!)).status).toBe(201); // out of order: a chunk object
    expect({ put, written }).toEqual({ put: [2], written: [0] });
    expect((await c.chunk(id, 1, chunks[1]!)).status).toBe(201); // fast path, then 2 follows from its object
    expect({ put, written }).toEqual({ put: [2], written: [0, 1, 2] });
    await expect(server.app.outbox.ctx.chunks.get({ videoId: id, index: 2, sha256: sha256(chunks[2]!) })).rejects.toMatchObject({ code: 'not_found' });
    expect(readdirSync(diskLayout(server.dataDir).receiveDir)).toEqual([]);
    expect((await c.status(id)).json.assembledChunks).toBe(3);

    expect((await c.chunk(id, 3, chunks[3]!)).status).toBe(201);
    const fin = await c.finalize({ sessionId: id, totalChunks: 4 });
    expect(fin.json).toMatchObject({ status: 'complete', chunksDigest: await chunksDigestHex(chunks.map((b) => sha256(b))), sha256: null });
    expect(sha256((await c.file(id)).bytes)).toBe(sha256(Buffer.concat(chunks)));
    expect({ put, written }).toEqual({ put: [2], written: [0, 1, 2, 3] });
  });
});

describe('stored path races', () => {
  it('a chunk whose row lost to other bytes for its index answers 409 and leaves no object behind', async () => {
    const a = Buffer.alloc(3000, 1);
    const b = Buffer.alloc(3000, 2);
    // Both requests pass their first check (no row yet) before either records: A stores only
    // once B is storing, B only after A answered.
    let bStoring!: () => void;
    const bIsStoring = new Promise<void>((r) => (bStoring = r));
    let aAnswered!: () => void;
    const aDone = new Promise<void>((r) => (aAnswered = r));
    const server = await startServerWithStores(({ chunks }) => ({
      chunks: intercept(chunks, {
        put: async (ref, body) => {
          if (ref.sha256 === sha256(a)) await bIsStoring;
          if (ref.sha256 === sha256(b)) {
            bStoring();
            await aDone;
          }
          return chunks.put(ref, body);
        },
      }),
    }));
    servers.push(server);
    const c = client(server.url, await server.createUser('race'));
    const id = (await c.init()).json.sessionId as string;
    const first = c.chunk(id, 5, a).then((r) => (aAnswered(), r));
    const second = c.chunk(id, 5, b);
    expect((await first).status).toBe(201);
    expect((await second).json.error.code).toBe('chunk_conflict');
    const chunkStore = server.app.outbox.ctx.chunks;
    expect(Buffer.concat(await chunkStore.get({ videoId: id, index: 5, sha256: sha256(a) })).equals(a)).toBe(true);
    await expect(chunkStore.get({ videoId: id, index: 5, sha256: sha256(b) })).rejects.toMatchObject({ code: 'not_found' });
    expect((await c.status(id)).json).toMatchObject({ chunks: [[5, 5]], bytes: 3000 });
  });
});
