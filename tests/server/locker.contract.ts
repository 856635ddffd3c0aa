/**
 * The Locker contract (src/server/storage/locker.ts), run against every implementation.
 * `makeNodes` gives two lockers that must exclude each other — two API nodes for a cross-process
 * locker, the same instance twice for the in-process one. `pause` is the work a holder does
 * inside: for a cross-process locker it must give the other node real time to try (round trips).
 */
import { describe, expect, it } from 'vitest';
import type { Locker } from '../../src/server/storage/locker.ts';

export interface LockerNodes {
  a: Locker;
  b: Locker;
  /** Resolves once a withLock call waits for a held lock, or as soon as `gaveUp()` is true. */
  untilBlocked(gaveUp: () => boolean): Promise<void>;
  close(): Promise<void>;
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A few turns of the event loop, so a wrongly admitted holder gets to run. */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

export function runLockerContract(name: string, makeNodes: () => Promise<LockerNodes>, pause: () => Promise<void> = () => turns(3)): void {
  describe(`Locker contract: ${name}`, () => {
    it('admits a waiter on the same key only after the holder has finished', async () => {
      const { a, b, untilBlocked, close } = await makeNodes();
      const events: string[] = [];
      const release = deferred();
      const entered = deferred();
      const first = a.withLock('video-1', async () => {
        events.push('a in');
        entered.resolve();
        await release.promise;
        events.push('a out');
      });
      await entered.promise;
      const second = b.withLock('video-1', async () => {
        events.push('b in');
      });
      await untilBlocked(() => events.includes('b in'));
      await turns(5);
      expect(events).toEqual(['a in']);
      release.resolve();
      await Promise.all([first, second]);
      expect(events).toEqual(['a in', 'a out', 'b in']);
      await close();
    });

    it('never has two holders of one key inside at once, under a crowd from both nodes', async () => {
      const { a, b, close } = await makeNodes();
      let inside = 0;
      let maxInside = 0;
      let done = 0;
      await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          (i % 2 ? a : b).withLock('video-2', async () => {
            inside++;
            maxInside = Math.max(maxInside, inside);
            await pause();
            inside--;
            done++;
          }),
        ),
      );
      expect(maxInside).toBe(1);
      expect(done).toBe(16);
      await close();
    });

    it('lets different keys run at the same time', async () => {
      const { a, b, close } = await makeNodes();
      const aIn = deferred();
      const bIn = deferred();
      // Each waits for the other to be inside: this deadlocks unless both hold their locks at once.
      await Promise.all([
        a.withLock('video-3', async () => {
          aIn.resolve();
          await bIn.promise;
        }),
        b.withLock('video-4', async () => {
          bIn.resolve();
          await aIn.promise;
        }),
      ]);
      await close();
    });

    it('passes the result and the error of fn through and releases the lock either way', async () => {
      const { a, b, close } = await makeNodes();
      expect(await a.withLock('video-5', async () => 42)).toBe(42);
      const boom = new Error('boom');
      await expect(
        a.withLock('video-5', async () => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await b.withLock('video-5', async (lost) => lost.aborted)).toBe(false);
      await close();
    });

    it('idle() waits for running holders', async () => {
      const { a, close } = await makeNodes();
      const release = deferred();
      let finished = false;
      const held = a.withLock('video-6', async () => {
        await release.promise;
        finished = true;
      });
      const idle = a.idle().then(() => finished);
      release.resolve();
      expect(await idle).toBe(true);
      await held;
      await close();
    });
  });
}
