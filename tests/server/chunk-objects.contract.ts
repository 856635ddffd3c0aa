/**
 * The ChunkObjects contract (src/server/storage/ports.ts): every implementation — disk files,
 * S3 objects — must pass it. `makeStore` returns a fresh, initialised store and its cleanup;
 * stores may share a backend (one bucket), so every test uses its own video ids.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/server/ids.ts';
import type { ChunkObjects, ChunkRef } from '../../src/server/storage/ports.ts';
import { ApiError } from '../../src/shared/errors.ts';
import { freshPerTest, type StoreFactory } from './fresh-store.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ref = (videoId: string, index: number, bytes: Buffer): ChunkRef => ({ videoId, index, sha256: sha(bytes) });
const mem = (b: Buffer) => ({ size: b.length, buffers: [b.subarray(0, 5), b.subarray(5)] });

export async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe(code);
}

export function runChunkObjectsContract(name: string, makeStore: StoreFactory<ChunkObjects>): void {
  describe(`ChunkObjects contract: ${name}`, () => {
    const fresh = freshPerTest(makeStore);

    it('returns the bytes put from memory, whole', async () => {
      const s = await fresh();
      const data = Buffer.from('chunk bytes from memory, in two buffers');
      const r = ref(newId(), 3, data);
      await s.put(r, mem(data));
      expect(Buffer.concat(await s.get(r))).toEqual(data);
    });

    it('stores a body held in a file and leaves the caller free to delete its path', async () => {
      const s = await fresh();
      const dir = await mkdtemp(join(tmpdir(), 'outbox-chunk-body-'));
      try {
        const data = Buffer.alloc(300_000, 7);
        const path = join(dir, 'body');
        await writeFile(path, data);
        const r = ref(newId(), 0, data);
        await s.put(r, { size: data.length, path });
        await rm(path, { force: true });
        expect(Buffer.concat(await s.get(r))).toEqual(data);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('is idempotent: the same chunk put twice is one object with the same bytes', async () => {
      const s = await fresh();
      const data = Buffer.from('same bytes twice');
      const r = ref(newId(), 0, data);
      await s.put(r, mem(data));
      await s.put(r, mem(data));
      await s.init();
      expect(Buffer.concat(await s.get(r))).toEqual(data);
    });

    it('keeps different bytes for one index apart (the SHA-256 is part of the key)', async () => {
      const s = await fresh();
      const vid = newId();
      const a = Buffer.from('node A bytes');
      const b = Buffer.from('node B bytes, other');
      await Promise.all([s.put(ref(vid, 1, a), mem(a)), s.put(ref(vid, 1, b), mem(b))]);
      await s.delete(ref(vid, 1, b));
      expect(Buffer.concat(await s.get(ref(vid, 1, a)))).toEqual(a);
      await expectCode(s.get(ref(vid, 1, b)), 'not_found');
    });

    it('rejects not_found for a chunk never stored', async () => {
      const s = await fresh();
      await expectCode(s.get(ref(newId(), 0, Buffer.from('absent'))), 'not_found');
    });

    it('deletes one object; deleting an absent one is fine', async () => {
      const s = await fresh();
      const data = Buffer.from('to delete');
      const r = ref(newId(), 2, data);
      await s.put(r, mem(data));
      await s.delete(r);
      await s.delete(r);
      await expectCode(s.get(r), 'not_found');
    });

    it('deleteAll removes every index and digest of one video and nothing of another', async () => {
      const s = await fresh();
      const vid = newId();
      const other = newId();
      const chunks = [0, 1, 2, 7].map((i) => Buffer.from(`chunk ${i}`));
      await Promise.all(chunks.map((c, i) => s.put(ref(vid, [0, 1, 2, 7][i]!, c), mem(c))));
      const kept = Buffer.from('other video');
      await s.put(ref(other, 0, kept), mem(kept));
      await s.deleteAll(vid);
      await s.deleteAll(vid);
      await s.deleteAll(newId());
      for (const [i, c] of chunks.entries()) await expectCode(s.get(ref(vid, [0, 1, 2, 7][i]!, c)), 'not_found');
      expect(Buffer.concat(await s.get(ref(other, 0, kept)))).toEqual(kept);
      // The video's objects can be stored again after a deleteAll.
      await s.put(ref(vid, 0, chunks[0]!), mem(chunks[0]!));
      expect(Buffer.concat(await s.get(ref(vid, 0, chunks[0]!)))).toEqual(chunks[0]);
    });
  });
}
