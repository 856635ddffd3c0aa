/**
 * Durations (ms) and counts of one finalize's steps, filled in as the steps run and logged once
 * (`finalize/complete` and its siblings), so the cost of stop-to-link can be read per step on any
 * backend without a profiler. Two clock reads per step: cheap enough to stay on.
 */
export type StepTimes = Record<string, number>;

/** Runs `step`, adding its wall time to `times[key]` (nothing is measured without `times`). */
export async function timed<T>(times: StepTimes | undefined, key: string, step: () => Promise<T>): Promise<T> {
  if (!times) return step();
  const started = performance.now();
  try {
    return await step();
  } finally {
    times[key] = (times[key] ?? 0) + performance.now() - started;
  }
}

/** The figures as logged: ms to 0.1, counts as they are. */
export function rounded(times: StepTimes): StepTimes {
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v * 10) / 10]));
}
