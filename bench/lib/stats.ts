/** Small statistics helpers for the benchmarks: percentiles by nearest rank, medians, rounding. */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** MB = 10^6 bytes throughout the benchmarks. */
export const MB = 1_000_000;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
