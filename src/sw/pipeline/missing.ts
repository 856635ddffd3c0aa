/**
 * The one place the pipeline reads a finalize answer's `missing` chunk indices. The server answers
 * inclusive index ranges (so a huge gap stays a small answer); the outbox re-queues indices, and
 * the client expands ranges only within its own recording's chunk count.
 */
import type { FinalizeResponse } from '../../shared/api.ts';
import { fromRanges } from '../../shared/ranges.ts';

export function missingIndices(res: Extract<FinalizeResponse, { status: 'incomplete' }>): number[] {
  // Clamped to the recording's own chunk count: a malformed answer ([[0, 2e9]]) must not make the
  // worker expand billions of indices.
  const last = res.totalChunks - 1;
  const clamped = res.missing.filter(([a, b]) => a <= b && a <= last).map(([a, b]): [number, number] => [Math.max(0, a), Math.min(b, last)]);
  return fromRanges(clamped);
}
