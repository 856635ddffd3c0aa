import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/sw/pipeline/token-bucket.ts';
import { FakeClock } from './fakes.ts';

describe('TokenBucket', () => {
  it('lets a burst through, then holds the long-run rate', async () => {
    const clock = new FakeClock(true);
    const bucket = new TokenBucket(clock, 10_000); // 10 kB/s, 10 kB burst
    const start = clock.now();
    for (let i = 0; i < 11; i++) await bucket.take(5_000);
    // 55 kB at 10 kB/s with a 10 kB head start: 4.5 s.
    expect(clock.now() - start).toBe(4_500);
    expect(clock.sleeps[0]).toBe(500);
  });

  it('refills while idle, never beyond the burst', async () => {
    const clock = new FakeClock(true);
    const bucket = new TokenBucket(clock, 1_000, 2_000);
    await bucket.take(2_000);
    clock.t += 60_000;
    await bucket.take(2_000);
    expect(clock.sleeps).toEqual([]);
    await bucket.take(1_000);
    expect(clock.sleeps).toEqual([1_000]);
  });

  it('shares the rate between concurrent takers in arrival order', async () => {
    const clock = new FakeClock(false);
    const bucket = new TokenBucket(clock, 1_000, 1_000);
    const done: string[] = [];
    const a = bucket.take(1_000).then(() => done.push('a'));
    const b = bucket.take(1_000).then(() => done.push('b'));
    const c = bucket.take(1_000).then(() => done.push('c'));
    await a;
    clock.advance(1_000);
    await b;
    expect(done).toEqual(['a', 'b']);
    clock.advance(1_000);
    await c;
    expect(done).toEqual(['a', 'b', 'c']);
  });

  it('is off for a cap of 0 and converts kbps to bytes', () => {
    const clock = new FakeClock();
    expect(TokenBucket.fromKbps(clock, 0)).toBeNull();
    expect(TokenBucket.fromKbps(clock, 800)!.bytesPerSecond).toBe(100_000);
  });
});
