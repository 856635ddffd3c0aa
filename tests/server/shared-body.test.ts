/** SharedBody / SharedBodyPool (src/server/storage/shared-body.ts): contiguous, shared, reused. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SharedBody, SharedBodyPool } from '../../src/server/storage/shared-body.ts';

describe('SharedBody', () => {
  it('gathers pieces into one shared buffer, growing past the declared length when needed', () => {
    const pool = new SharedBodyPool();
    const pieces = Array.from({ length: 12 }, (_, i) => randomBytes(10_000 + i));
    const body = new SharedBody(pool, 50_000); // declared too small: must grow
    for (const p of pieces) body.push(p);
    const bytes = body.bytes();
    expect(bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.compare(bytes, Buffer.concat(pieces))).toBe(0);
    const none = new SharedBody(pool, undefined);
    expect(none.bytes().length).toBe(0);
  });

  it('reuses released memory and refuses use after release', () => {
    const pool = new SharedBodyPool();
    const a = new SharedBody(pool, 640_000);
    a.push(randomBytes(640_000));
    const sab = a.bytes().buffer;
    a.release();
    a.release(); // idempotent: returned once
    expect(pool.freeCount).toBe(1);
    expect(() => a.push(randomBytes(1))).toThrow(/after release/);
    const b = new SharedBody(pool, 600_000); // same capacity class: the same memory
    expect(b.bytes().buffer).toBe(sab);
    expect(pool.freeCount).toBe(0);
    const c = new SharedBody(pool, 600_000); // none free: fresh memory
    expect(c.bytes().buffer).not.toBe(sab);
  });
});
