/**
 * The one place the pipeline reads a finalize answer's `missing` chunk indices. The server answers
 * inclusive index ranges (so a huge gap stays a small answer); the outbox re-queues indices, and
 * a client only ever expands ranges within its own recording's chunk count.
 */
import type { FinalizeResponse } from '../../shared/api.ts';
import { fromRanges } from '../../shared/ranges.ts';

export function missingIndices(res: Extract<FinalizeResponse, { status: 'incomplete' }>): number[] {
  return fromRanges(res.missing);
}
