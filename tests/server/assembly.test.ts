/**
 * Incremental assembly: a 600-chunk session's finalize does O(tail) work. Measured by the output
 * writer's `write` calls (segments and bytes) during the finalize request — not by time. If
 * assembly were deferred to finalize, it would write all 600 chunks there.
 *
 * On both backends (OUTBOX_TEST_BACKEND): on disk every chunk is a segment of its own, so the
 * tail at finalize is empty; on S3 a segment is a multipart part of at least 5 MiB, so the chunks
 * are larger there (the recording spans several parts) and the tail is the last part only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_PART_BYTES } from '../../src/server/storage/s3/part-planner.ts';
import { chunksDigestHex } from '../../src/shared/chunks-digest.ts';
import type { InProcessTestServer } from '../support/server-process.ts';
import { intercept, startServerWithStores } from '../support/stores.ts';
import { testBackend } from '../support/test-backend.ts';
import { client, makeChunks, sha256, type Client } from './helpers.ts';

/** Chunks written into the output (segments cover whole chunks) and their bytes, on either path. */
const store = { appends: 0, appendedBytes: 0, segments: 0 };
const digestOf = (chunks: Buffer[]) => chunksDigestHex(chunks.map((b) => sha256(b)));

const onS3 = testBackend() === 'pg-s3';
const N = Number(process.env.OUTBOX_ASSEMBLY_CHUNKS ?? (onS3 ? 48 : 600));
/** 48 × 160 KiB = 7.5 MiB on S3: a full part (32 chunks) before finalize and a 2.5 MiB tail. */
const CHUNK_BYTES = onS3 ? 160 * 1024 : 200;
/** The most a finalize may still write: nothing on disk, one part under S3's minimum on S3. */
const TAIL_BOUND = onS3 ? MIN_PART_BYTES : 0;
let server: InProcessTestServer;
let c: Client;

beforeAll(async () => {
  server = await startServerWithStores(({ output }) => ({
    output: intercept(output, {
      write: async (h, seg, bytes) => {
        const receipt = await output.write(h, seg, bytes);
        store.appends += seg.end - seg.first;
        store.appendedBytes += bytes.reduce((n, b) => n + b.length, 0);
        store.segments++;
        return receipt;
      },
    }),
  }));
  c = client(server.url, await server.createUser('asm'));
});
afterAll(() => server.stop());

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
    const chunks = makeChunks(N, CHUNK_BYTES);
    const whole = Buffer.concat(chunks);
    // Deferring everything to finalize would write more than the bound allows.
    expect(whole.length).toBeGreaterThan(TAIL_BOUND);
    // Chunks arrive roughly in order, two late ones out of order, as with two parallel uploads.
    const order = [...chunks.keys()].filter((i) => i !== 10 && i !== N - 2);
    order.splice(40, 0, 10);
    order.push(N - 2);
    await uploadConcurrently(id, chunks, order);

    const before = { appends: store.appends, bytes: store.appendedBytes, segments: store.segments };
    const st = (await c.status(id)).json;
    expect(st.assembledChunks).toBe(before.appends);
    expect(whole.length - before.bytes).toBeLessThanOrEqual(TAIL_BOUND);
    // No chunk object is left once its bytes are in the output.
    for (let i = 0; i < before.appends; i++) {
      await expect(server.app.outbox.ctx.chunks.get({ videoId: id, index: i, sha256: sha256(chunks[i]!) })).rejects.toMatchObject({ code: 'not_found' });
    }

    const fin = await c.finalize({ sessionId: id, totalChunks: N });
    expect(fin.json).toMatchObject({ status: 'complete', size: whole.length, chunksDigest: await digestOf(chunks) });
    expect(sha256((await c.file(id)).bytes)).toBe(sha256(whole));
    // The finalize wrote the tail — at most one segment — and nothing written before again.
    expect(store.appends - before.appends).toBe(N - before.appends);
    expect(store.segments - before.segments).toBeLessThanOrEqual(1);
    expect(store.appendedBytes - before.bytes).toBeLessThanOrEqual(TAIL_BOUND);
    expect(store.appendedBytes).toBe(whole.length);
  });

  it('appends at finalize exactly the tail that was not yet contiguous', async () => {
    const id = (await c.init()).json.sessionId as string;
    // Disk: 50 chunks, the gap at 45. S3: 14 chunks of 512 KiB, parts of 10, the gap at 11, so
    // one part is written before the gap and 10..13 are the tail.
    const [n, gap, assembledBeforeGap] = onS3 ? [14, 11, 10] : [50, 45, 45];
    const chunks = makeChunks(n, onS3 ? 512 * 1024 : 200);
    await uploadConcurrently(id, chunks, [...chunks.keys()].filter((i) => i !== gap));
    const fin1 = await c.finalize({ sessionId: id, totalChunks: n });
    expect(fin1.json.missing).toEqual([[gap, gap]]);
    expect((await c.status(id)).json.assembledChunks).toBe(assembledBeforeGap);
    const before = store.appends;
    await uploadConcurrently(id, chunks, [gap], 1);
    // The late chunk completes the video by itself, appending from the prefix to the end — the tail, nothing more.
    expect(store.appends - before).toBe(n - assembledBeforeGap);
    const beforeFinal = store.appends;
    const fin2 = await c.finalize({ sessionId: id, totalChunks: n });
    expect(fin2.json).toMatchObject({ status: 'complete', chunksDigest: await digestOf(chunks) });
    expect(sha256((await c.file(id)).bytes)).toBe(sha256(Buffer.concat(chunks)));
    expect(store.appends).toBe(beforeFinal);
  });
});
