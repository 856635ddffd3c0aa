import { describe, expect, it } from 'vitest';
import { countInRanges, fromRanges, missingRanges, toRanges } from '../../src/shared/ranges.ts';

describe('index ranges', () => {
  it('collapses unordered indices with duplicates', () => {
    expect(toRanges([5, 0, 1, 2, 2, 7, 6, 9])).toEqual([[0, 2], [5, 7], [9, 9]]);
  });
  it('round-trips and counts', () => {
    const r = toRanges([3, 1, 2, 10]);
    expect(fromRanges(r)).toEqual([1, 2, 3, 10]);
    expect(countInRanges(r)).toBe(4);
  });
  it('lists exactly the missing indices below total, as ranges', () => {
    expect(missingRanges([[1, 2], [5, 5]], 7)).toEqual([[0, 0], [3, 4], [6, 6]]);
    expect(missingRanges([], 3)).toEqual([[0, 2]]);
    expect(missingRanges([[0, 9]], 5)).toEqual([]);
    expect(missingRanges([[4, 4], [0, 1]], 100_001)).toEqual([[2, 3], [5, 100_000]]);
    expect(missingRanges([[0, 2], [1, 5]], 5)).toEqual([]);
  });
});
