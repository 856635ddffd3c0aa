import { describe, expect, it } from 'vitest';
import { DrainScheduler, type LockRunner } from '../../src/sw/drain-scheduler.ts';

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('DrainScheduler', () => {
  it('coalesces requests made during a drain into exactly one more drain, nudging the running one', async () => {
    const gates: Array<ReturnType<typeof deferred<number>>> = [];
    const reasons: string[] = [];
    let nudges = 0;
    const s = new DrainScheduler<number>(
      (reason) => {
        reasons.push(reason);
        const g = deferred<number>();
        gates.push(g);
        return g.promise;
      },
      null,
      () => void nudges++,
    );
    const first = s.request('a');
    const second = s.request('b');
    const third = s.request('c');
    expect(reasons).toEqual(['a']);
    // A drain sleeping through a backoff must look at the outbox again now, not in 45 s.
    expect(nudges).toBe(2);
    gates[0]!.resolve(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(reasons).toEqual(['a', 'b,c']);
    gates[1]!.resolve(2);
    // Every request is covered by a drain that started after it: all see the second outcome.
    expect(await Promise.all([first, second, third])).toEqual([2, 2, 2]);
    expect(s.busy).toBe(false);
  });

  it('starts a fresh drain after the previous one settled', async () => {
    let n = 0;
    const s = new DrainScheduler(async () => ++n, null);
    expect(await s.request('a')).toBe(1);
    expect(await s.request('b')).toBe(2);
  });

  it('runs every drain under the pipeline lock', async () => {
    const held: string[] = [];
    let inside = false;
    const locks: LockRunner = {
      async request(name, cb) {
        held.push(name);
        inside = true;
        try {
          return await cb();
        } finally {
          inside = false;
        }
      },
    };
    const s = new DrainScheduler(async () => inside, locks);
    expect(await s.request('x')).toBe(true);
    expect(held).toEqual(['outbox-recorder/pipeline']);
  });

  it('rejects the waiting requests when the drain throws, and recovers', async () => {
    let fail = true;
    const s = new DrainScheduler(async () => {
      if (fail) throw new Error('boom');
      return 'ok';
    }, null);
    await expect(s.request('a')).rejects.toThrow('boom');
    fail = false;
    expect(await s.request('b')).toBe('ok');
  });
});
