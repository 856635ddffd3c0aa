import { describe, expect, it } from 'vitest';
import { countInRanges, fromRanges, missingIndices, toRanges } from '../../src/shared/ranges.ts';

describe('index ranges', () => {
  it('collapses unordered indices with duplicates', () => {
    expect(toRanges([5, 0, 1, 2, 2, 7, 6, 9])).toEqual([[0, 2], [5, 7], [9, 9]]);
  });
  it('round-trips and counts', () => {
    const r = toRanges([3, 1, 2, 10]);
    expect(fromRanges(r)).toEqual([1, 2, 3, 10]);
    expect(countInRanges(r)).toBe(4);
  });
  it('lists exactly the missing indices below total', () => {
    expect(missingIndices([[1, 2], [5, 5]], 7)).toEqual([0, 3, 4, 6]);
    expect(missingIndices([], 3)).toEqual([0, 1, 2]);
    expect(missingIndices([[0, 9]], 5)).toEqual([]);
  });
});
