/**
 * The Sha256Service contract (src/server/hashing/sha256-service.ts): what the ingest path relies
 * on, for any implementation — the same-thread reference and the worker thread.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sha256Service } from '../../src/server/hashing/sha256-service.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The same bytes in shared memory, as ingest stages them. */
function shared(b: Buffer): Buffer {
  const out = Buffer.from(new SharedArrayBuffer(b.length));
  b.copy(out);
  return out;
}

export function runSha256ServiceContract(name: string, make: () => Sha256Service): void {
  describe(`Sha256Service contract: ${name}`, () => {
    let svc: Sha256Service | null = null;
    const fresh = () => (svc = make());
    afterEach(async () => {
      await svc?.close();
      svc = null;
    });

    it('digests plain and shared bytes of any size, including none and a slice', async () => {
      const s = fresh();
      for (const size of [0, 1, 63, 64, 65, 4096, 640_000]) {
        const b = randomBytes(size);
        expect(await s.digest(b)).toBe(sha(b));
        expect(await s.digest(shared(b))).toBe(sha(b));
      }
      const big = randomBytes(10_000);
      expect(await s.digest(big.subarray(100, 5100))).toBe(sha(big.subarray(100, 5100)));
      expect(await s.digest(shared(big).subarray(7, 9000))).toBe(sha(big.subarray(7, 9000)));
    });

    it('keeps running hashes per key, in call order, without awaiting each update', async () => {
      const s = fresh();
      const a = Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i));
      const b = Array.from({ length: 40 }, () => randomBytes(333));
      s.reset('a');
      s.reset('b');
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 40; i++) {
        pending.push(s.update('a', i % 2 ? shared(a[i]!) : a[i]!));
        pending.push(s.update('b', b[i]!));
        if (i === 19) expect(await s.peek('a')).toBe(sha(Buffer.concat(a.slice(0, 20))));
      }
      // Not awaited yet: the peek still sees every update called before it.
      expect(await s.peek('a')).toBe(sha(Buffer.concat(a)));
      expect(await s.peek('b')).toBe(sha(Buffer.concat(b)));
      await Promise.all(pending);
      // Peeking does not end the hash.
      await s.update('a', b[0]!);
      expect(await s.peek('a')).toBe(sha(Buffer.concat([...a, b[0]!])));
    });

    it('reports a running hash it does not hold as null, never a hash of part of the bytes', async () => {
      const s = fresh();
      expect(await s.peek('never')).toBeNull();
      await s.update('orphan', randomBytes(10)); // no reset: broken
      await s.update('orphan', randomBytes(10));
      expect(await s.peek('orphan')).toBeNull();
      s.reset('orphan'); // a reset starts it afresh
      const x = randomBytes(77);
      await s.update('orphan', x);
      expect(await s.peek('orphan')).toBe(sha(x));
      s.drop('orphan');
      expect(await s.peek('orphan')).toBeNull();
      s.reset('empty');
      expect(await s.peek('empty')).toBe(sha(Buffer.alloc(0)));
    });

    it('lets the caller reuse the memory once an update has resolved', async () => {
      const s = fresh();
      const buf = shared(randomBytes(50_000));
      const original = Buffer.from(buf);
      s.reset('k');
      await s.update('k', buf);
      buf.fill(0); // reused by the next chunk
      expect(await s.peek('k')).toBe(sha(original));
    });
  });
}
