/**
 * The SmallObjects contract (src/server/storage/ports.ts): the served head and the poster of a
 * video, each replaced whole. Every implementation must pass it.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/server/ids.ts';
import { ApiError } from '../../src/shared/errors.ts';
import type { SmallObjects } from '../../src/server/storage/ports.ts';
import { freshPerTest, type StoreFactory } from './fresh-store.ts';

export function runSmallObjectsContract(name: string, makeStore: StoreFactory<SmallObjects>): void {
  describe(`SmallObjects contract: ${name}`, () => {
    const fresh = freshPerTest(makeStore);

    it('answers null for an absent object and the bytes once put', async () => {
      const s = await fresh();
      const vid = newId();
      expect(await s.get(vid, 'head')).toBeNull();
      const head = Buffer.from('served head bytes');
      await s.put(vid, 'head', head);
      expect(await s.get(vid, 'head')).toEqual(head);
      expect(await s.get(vid, 'poster')).toBeNull();
    });

    it('replaces an object atomically: readers see the old bytes or the new, never a mix', async () => {
      const s = await fresh();
      const vid = newId();
      const old = randomBytes(200_000);
      const next = randomBytes(180_000);
      await s.put(vid, 'poster', old);
      const seen: Buffer[] = [];
      let done = false;
      let unavailable = 0;
      const writing = s.put(vid, 'poster', next).finally(() => (done = true));
      while (!done) {
        // A read may fail with 503 (s3rver rewrites an object in place and drops readers; S3
        // does not) — a failed read the client retries, never torn bytes.
        const got = await s.get(vid, 'poster').catch((e: unknown) => {
          if (e instanceof ApiError && e.code === 'service_unavailable' && unavailable++ < 50) return null;
          throw e;
        });
        if (got) seen.push(got);
      }
      await writing;
      seen.push((await s.get(vid, 'poster'))!);
      for (const b of seen) expect(b.equals(old) || b.equals(next)).toBe(true);
      expect(seen.at(-1)!.equals(next)).toBe(true);
    });

    it('deleteAll removes both objects of one video and nothing of another', async () => {
      const s = await fresh();
      const [vid, other] = [newId(), newId()];
      await s.put(vid, 'head', Buffer.from('h'));
      await s.put(vid, 'poster', Buffer.from('p'));
      await s.put(other, 'poster', Buffer.from('other'));
      await s.deleteAll(vid);
      await s.deleteAll(vid);
      expect(await s.get(vid, 'head')).toBeNull();
      expect(await s.get(vid, 'poster')).toBeNull();
      expect(await s.get(other, 'poster')).toEqual(Buffer.from('other'));
      await s.put(vid, 'head', Buffer.from('again'));
      expect(await s.get(vid, 'head')).toEqual(Buffer.from('again'));
    });
  });
}
