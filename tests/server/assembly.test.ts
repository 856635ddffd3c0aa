/**
 * Incremental assembly: a 600-chunk session's finalize does O(tail) work. Measured by the output
 * writer's `write` calls (segments and bytes) during the finalize request — not by time. If
 * assembly were deferred to finalize, it would write all 600 chunks there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { addUser } from '../../src/server/users.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import { diskStores, intercept } from '../support/stores.ts';
import { client, makeChunks, sha256, type Client } from './helpers.ts';

/** Chunks written into the output (one segment per chunk on disk) and their bytes, on either path. */
const store = { appends: 0, appendedBytes: 0 };
const digestOf = (chunks: Buffer[]) => chunksDigestHex(chunks.map((b) => sha256(b)));

const N = Number(process.env.OUTBOX_ASSEMBLY_CHUNKS ?? 600);
let app: FastifyInstance;
let c: Client;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'outbox-assembly-'));
  const stores = await diskStores(dataDir);
  const output = intercept(stores.output, {
    write: async (h, seg, bytes) => {
      const receipt = await stores.output.write(h, seg, bytes);
      store.appends += seg.end - seg.first;
      store.appendedBytes += bytes.reduce((n, b) => n + b.length, 0);
      return receipt;
    },
  });
  app = buildServer(loadConfig({ LOG_LEVEL: 'warn', OUTBOX_DATA_DIR: dataDir }), { stores: { ...stores, output } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  c = client(`http://127.0.0.1:${(app.server.address() as { port: number }).port}`, (await addUser(app.outbox.repo, 'asm', Date.now())).token);
});
afterAll(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function uploadConcurrently(id: string, chunks: Buffer[], order: number[], concurrency = 4): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < order.length) {
        const i = order[next++]!;
        const r = await c.chunk(id, i, chunks[i]!);
        if (r.status !== 201) throw new Error(`chunk ${i}: ${r.status}`);
      }
    }),
  );
}

describe('incremental assembly', () => {
  it(`finalize of a ${N}-chunk session appends only the tail`, async () => {
    const id = (await c.init()).json.sessionId as string;
    const chunks = makeChunks(N, 200);
    // Chunks arrive roughly in order, two late ones out of order, as with two parallel uploads.
    const order = [...chunks.keys()].filter((i) => i !== 10 && i !== N - 2);
    order.splice(40, 0, 10);
    order.push(N - 2);
    await uploadConcurrently(id, chunks, order);

    const before = { appends: store.appends, bytes: store.appendedBytes };
    expect(before.appends).toBe(N);
    const st = (await c.status(id)).json;
    expect(st.assembledChunks).toBe(N);
    // No chunk object is left once its bytes are in the output.
    for (let i = 0; i < N; i++) await expect(app.outbox.ctx.chunks.get({ videoId: id, index: i, sha256: sha256(chunks[i]!) })).rejects.toMatchObject({ code: 'not_found' });

    const fin = await c.finalize({ sessionId: id, totalChunks: N });
    const whole = Buffer.concat(chunks);
    expect(fin.json).toMatchObject({ status: 'complete', size: whole.length, chunksDigest: await digestOf(chunks) });
    expect(sha256((await c.file(id)).bytes)).toBe(sha256(whole));
    expect(store.appends - before.appends).toBe(0);
    expect(store.appendedBytes - before.bytes).toBe(0);
    expect(store.appendedBytes).toBe(whole.length);
  });

  it('appends at finalize exactly the tail that was not yet contiguous', async () => {
    const id = (await c.init()).json.sessionId as string;
    const chunks = makeChunks(50, 200);
    await uploadConcurrently(id, chunks, [...chunks.keys()].filter((i) => i !== 45));
    const fin1 = await c.finalize({ sessionId: id, totalChunks: 50 });
    expect(fin1.json.missing).toEqual([[45, 45]]);
    const before = store.appends;
    await uploadConcurrently(id, chunks, [45], 1);
    // The late chunk completes the video by itself, appending 45..49 — the tail, nothing more.
    expect(store.appends - before).toBe(5);
    const beforeFinal = store.appends;
    const fin2 = await c.finalize({ sessionId: id, totalChunks: 50 });
    expect(fin2.json).toMatchObject({ status: 'complete', chunksDigest: await digestOf(chunks) });
    expect(sha256((await c.file(id)).bytes)).toBe(sha256(Buffer.concat(chunks)));
    expect(store.appends).toBe(beforeFinal);
  });
});
