import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { Sha256Stream } from '../../src/shared/outbox/sha256-stream.ts';

describe('Sha256Stream', () => {
  it('matches known vectors', () => {
    expect(new Sha256Stream().digestHex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(new Sha256Stream().update(new TextEncoder().encode('abc')).digestHex()).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('equals node:crypto over any split of any bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), (parts) => {
        const s = new Sha256Stream();
        const h = createHash('sha256');
        for (const p of parts) {
          s.update(p);
          h.update(p);
        }
        expect(s.digestHex()).toBe(h.digest('hex'));
      }),
      { numRuns: 300 },
    );
  });
});
