/**
 * Compact inclusive index ranges, e.g. [[0, 41], [43, 44]] for "every chunk but 42 of 0..44".
 * The status endpoint sends held chunks this way so a 2-hour recording's status stays small.
 */
export type IndexRange = [start: number, end: number];

/** Collapses indices (any order, duplicates allowed) into sorted inclusive ranges. */
export function toRanges(indices: Iterable<number>): IndexRange[] {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const out: IndexRange[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i === last[1] + 1) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}

export function fromRanges(ranges: readonly IndexRange[]): number[] {
  const out: number[] = [];
  for (const [s, e] of ranges) for (let i = s; i <= e; i++) out.push(i);
  return out;
}

export function countInRanges(ranges: readonly IndexRange[]): number {
  return ranges.reduce((n, [s, e]) => n + (e - s + 1), 0);
}

export function inRanges(ranges: readonly IndexRange[], index: number): boolean {
  return ranges.some(([s, e]) => index >= s && index <= e);
}

/**
 * The ranges of 0..total-1 not covered by `ranges`, without listing indices one by one: a
 * finalize of 100001 chunks with none held is `[[0, 100000]]`, not 100001 numbers.
 */
export function missingRanges(ranges: readonly IndexRange[], total: number): IndexRange[] {
  const out: IndexRange[] = [];
  let next = 0;
  for (const [s, e] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (next >= total) break;
    if (s > next) out.push([next, Math.min(s, total) - 1]);
    next = Math.max(next, e + 1);
  }
  if (next < total) out.push([next, total - 1]);
  return out;
}
