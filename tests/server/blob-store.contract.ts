/**
 * The BlobStore contract: any implementation (filesystem now, S3 later) must pass it.
 * `makeStore` returns a fresh, initialised, empty store and a cleanup function.
 */
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/shared/errors.ts';
import type { BlobStore } from '../../src/server/storage/blob-store.ts';

const VID = 'AAAAAAAAAAAAAAAAAAAAAA';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = (b: Buffer) => Readable.from([b.subarray(0, 3), b.subarray(3)]);

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

export function runBlobStoreContract(name: string, makeStore: () => Promise<{ store: BlobStore; cleanup(): Promise<void> }>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let cleanup: (() => Promise<void>) | null = null;
    const fresh = async () => {
      const made = await makeStore();
      cleanup = made.cleanup;
      return made.store;
    };
    afterEach(async () => {
      await cleanup?.();
      cleanup = null;
    });

    it('stages in memory: the bytes as one buffer, hashed, nothing published until committed', async () => {
      const s = await fresh();
      const data = Buffer.from('in memory, in order');
      const staged = await s.stageChunk(VID, 0, body(data), { maxBytes: 100, inMemory: true, expectedBytes: data.length });
      expect(staged).toMatchObject({ size: data.length, sha256: sha(data), tempKey: null });
      expect(Buffer.concat(staged.bytes ?? [])).toEqual(data);
      expect(await s.hasChunk(VID, 0)).toBe(false);
      staged.release?.();
      // Declared shorter than sent, and too large: still exact, still refused.
      const grown = await s.stageChunk(VID, 1, body(data), { maxBytes: 100, inMemory: true, expectedBytes: 4 });
      expect(Buffer.concat(grown.bytes ?? [])).toEqual(data);
      grown.release?.();
      await expect(s.stageChunk(VID, 2, body(data), { maxBytes: 10, inMemory: true })).rejects.toMatchObject({ code: 'chunk_too_large' });
    });

    it('stages with hash and size, publishes only on commit', async () => {
      const s = await fresh();
      const data = Buffer.from('hello chunk');
      const staged = await s.stageChunk(VID, 0, body(data), { maxBytes: 100 });
      expect(staged).toMatchObject({ videoId: VID, index: 0, size: data.length, sha256: sha(data) });
      expect(await s.hasChunk(VID, 0)).toBe(false);
      await s.commitChunk(staged);
      expect(await s.chunkSize(VID, 0)).toBe(data.length);
      expect(await s.listChunks(VID)).toEqual([0]);
    });

    it('discards a staged chunk and leaves no temp behind', async () => {
      const s = await fresh();
      const staged = await s.stageChunk(VID, 1, body(Buffer.from('abcdef')), { maxBytes: 100 });
      await s.discardStaged(staged);
      expect(await s.hasChunk(VID, 1)).toBe(false);
      expect(await s.removeLeftoverTemps()).toBe(0);
    });

    it('hash-only staging stores nothing', async () => {
      const s = await fresh();
      const staged = await s.stageChunk(VID, 2, body(Buffer.from('abcdef')), { maxBytes: 100, hashOnly: true });
      expect(staged.sha256).toBe(sha(Buffer.from('abcdef')));
      expect(await s.removeLeftoverTemps()).toBe(0);
      expect(await s.listVideos()).toEqual([]);
    });

    it('refuses a body over the limit with chunk_too_large, keeping nothing', async () => {
      const s = await fresh();
      const err = await s.stageChunk(VID, 0, body(Buffer.alloc(101)), { maxBytes: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('chunk_too_large');
      expect(await s.removeLeftoverTemps()).toBe(0);
    });

    it('gives up with request_timeout when the signal aborts, keeping nothing', async () => {
      const s = await fresh();
      const never = new Readable({ read() {} });
      const ctrl = new AbortController();
      const p = s.stageChunk(VID, 0, never, { maxBytes: 100, signal: ctrl.signal });
      ctrl.abort();
      expect(((await p.catch((e: unknown) => e)) as ApiError).code).toBe('request_timeout');
      expect(await s.removeLeftoverTemps()).toBe(0);
    });

    it('appends chunks in order, passing every byte to onBytes, and reads ranges', async () => {
      const s = await fresh();
      const parts = [Buffer.from('first-'), Buffer.from('second-'), Buffer.from('third')];
      for (const [i, p] of parts.entries()) await s.commitChunk(await s.stageChunk(VID, i, body(p), { maxBytes: 100 }));
      const h = createHash('sha256');
      let total = 0;
      for (const i of [0, 1, 2]) total += await s.appendChunkToAssembled(VID, i, (b) => h.update(b));
      const whole = Buffer.concat(parts);
      expect(total).toBe(whole.length);
      expect(h.digest('hex')).toBe(sha(whole));
      expect(await s.assembledSize(VID)).toBe(whole.length);
      expect(await readAll(s.readAssembled(VID))).toEqual(whole);
      expect(await readAll(s.readAssembled(VID, { start: 3, end: 9 }))).toEqual(whole.subarray(3, 10));
      await s.truncateAssembled(VID, 6);
      expect(await readAll(s.readAssembled(VID))).toEqual(parts[0]);
    });

    it('deletes chunks and whole videos, and lists the videos it holds', async () => {
      const s = await fresh();
      await s.commitChunk(await s.stageChunk(VID, 5, body(Buffer.from('x')), { maxBytes: 10 }));
      expect(await s.listVideos()).toEqual([VID]);
      await s.deleteChunk(VID, 5);
      expect(await s.hasChunk(VID, 5)).toBe(false);
      await s.deleteVideo(VID);
      expect(await s.listVideos()).toEqual([]);
      expect(await s.assembledSize(VID)).toBe(0);
    });

    it('never builds a location from an invalid id or index', async () => {
      const s = await fresh();
      await expect(s.stageChunk('../../etc', 0, body(Buffer.from('x')), { maxBytes: 10 })).rejects.toThrow();
      await expect(s.deleteVideo('..')).rejects.toThrow();
      await expect(s.hasChunk(VID, -1)).rejects.toThrow();
    });
  });
}
