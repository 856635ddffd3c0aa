import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_PART_BYTES, partition, PartPlanError, planParts, type PartSpan } from '../../src/server/storage/s3/part-planner.ts';

const KB = 1000;
const MiB = 1024 * 1024;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** Chunk sizes as recorders produce them: mostly around 625 KB, sometimes tiny, sometimes huge. */
const chunkSize = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 500 * KB, max: 700 * KB }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 100 * KB }) },
  { weight: 1, arbitrary: fc.integer({ min: 4 * MiB, max: 12 * MiB }) },
);
const recording = fc.array(chunkSize, { maxLength: 80 });
/** Cut points: how many chunks arrive between two planning rounds. */
const arrivals = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 80 });

/** Everything S3 checks at CompleteMultipartUpload, plus "these parts are exactly the recording". */
function expectCompleteUpload(sizes: readonly number[], parts: readonly PartSpan[]): void {
  const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
  if (sizes.length === 0) {
    expect(sorted).toEqual([]);
    return;
  }
  expect(sorted.map((p) => p.partNumber)).toEqual(sorted.map((_, i) => i + 1));
  let pos = 0;
  sorted.forEach((p, i) => {
    expect(p.first).toBe(pos);
    expect(p.end).toBeGreaterThan(p.first);
    expect(p.bytes).toBe(sum(sizes.slice(p.first, p.end)));
    if (i < sorted.length - 1) expect(p.bytes).toBeGreaterThanOrEqual(MIN_PART_BYTES);
    pos = p.end;
  });
  expect(pos).toBe(sizes.length);
}

/** Plays a recording: chunks arrive in batches, the planner runs after each batch, then finalize. */
function simulate(sizes: readonly number[], batches: readonly number[], holdFirstPart: boolean) {
  const stored: PartSpan[] = [];
  const uploads: PartSpan[] = [];
  let n = 0;
  let b = 0;
  while (n < sizes.length) {
    n = Math.min(sizes.length, n + (batches[b++ % batches.length] ?? 1));
    const prefix = sizes.slice(0, n);
    const next = planParts({ sizes: prefix, stored, final: false, holdFirstPart });
    for (const p of next) {
      expect(p.bytes).toBeGreaterThanOrEqual(MIN_PART_BYTES);
      if (holdFirstPart) expect(p.partNumber).not.toBe(1);
    }
    uploads.push(...next);
    stored.push(...next);
    // Nothing is held back that could already be a part (beyond part 1 when it is held).
    const covered = Math.max(0, ...stored.map((p) => p.end));
    const held = holdFirstPart ? (partition(prefix, false)[0]?.end ?? 0) : 0;
    expect(sum(prefix.slice(Math.max(covered, held)))).toBeLessThan(MIN_PART_BYTES);
    // Planning again with nothing new plans nothing.
    expect(planParts({ sizes: prefix, stored, final: false, holdFirstPart })).toEqual([]);
  }
  const last = planParts({ sizes, stored, final: true, holdFirstPart });
  uploads.push(...last);
  stored.push(...last);
  return { stored, uploads };
}

describe('S3 part planner', () => {
  it('turns any recording into parts S3 accepts that hold exactly its chunks, in order', () => {
    fc.assert(
      fc.property(recording, arrivals, fc.boolean(), (sizes, batches, hold) => {
        const { stored } = simulate(sizes, batches, hold);
        expectCompleteUpload(sizes, stored);
      }),
      { numRuns: 400 },
    );
  });

  it('uploads every part exactly once: no byte is sent twice', () => {
    fc.assert(
      fc.property(recording, arrivals, fc.boolean(), (sizes, batches, hold) => {
        const { uploads } = simulate(sizes, batches, hold);
        const numbers = uploads.map((p) => p.partNumber);
        expect(new Set(numbers).size).toBe(numbers.length);
        expect(sum(uploads.map((p) => p.bytes))).toBe(sum(sizes));
      }),
      { numRuns: 400 },
    );
  });

  it('plans the same parts however the chunks arrived, so any node may continue after another', () => {
    fc.assert(
      fc.property(recording, arrivals, arrivals, fc.boolean(), (sizes, one, other, hold) => {
        const a = simulate(sizes, one, hold).stored.sort((x, y) => x.partNumber - y.partNumber);
        const b = simulate(sizes, other, hold).stored.sort((x, y) => x.partNumber - y.partNumber);
        expect(a).toEqual(b);
        expect(a).toEqual(partition(sizes, true));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps part boundaries stable as chunks are appended (a lost part upload is re-planned identically)', () => {
    fc.assert(
      fc.property(recording, recording, (head, more) => {
        const before = partition(head, false);
        const after = partition([...head, ...more], false);
        expect(after.slice(0, before.length)).toEqual(before);
      }),
    );
  });

  it('holds part 1 until finalize and then releases it with the tail', () => {
    const sizes = Array.from({ length: 30 }, () => 625 * KB);
    const early = planParts({ sizes, stored: [], final: false, holdFirstPart: true });
    expect(early.map((p) => p.partNumber)).toEqual([2, 3]);
    const last = planParts({ sizes, stored: early, final: true, holdFirstPart: true });
    expect(last.map((p) => [p.partNumber, p.first, p.end])).toEqual([
      [1, 0, 9],
      [4, 27, 30],
    ]);
  });

  it('a recording under 5 MiB is one part, planned only at finalize', () => {
    const sizes = [625 * KB, 625 * KB, 10];
    expect(planParts({ sizes, stored: [], final: false })).toEqual([]);
    expect(planParts({ sizes, stored: [], final: true })).toEqual([{ partNumber: 1, first: 0, end: 3, bytes: 1250 * KB + 10 }]);
    expect(planParts({ sizes: [], stored: [], final: true })).toEqual([]);
  });

  it('refuses stored parts it would not have planned', () => {
    const sizes = Array.from({ length: 20 }, () => 625 * KB);
    const wrong = { partNumber: 1, first: 0, end: 3, bytes: 1875 * KB };
    expect(() => planParts({ sizes, stored: [wrong], final: false })).toThrow(PartPlanError);
    const unknown = { partNumber: 7, first: 0, end: 9, bytes: 0 };
    expect(() => planParts({ sizes, stored: [unknown], final: false })).toThrow(PartPlanError);
  });
});
