/**
 * The one place the pipeline reads a finalize answer's `missing` chunk indices, so a change of
 * its wire format (a list of indices today; inclusive index ranges are planned, see IndexRanges
 * in src/shared/api.ts) is a change of this line only.
 */
import type { FinalizeResponse } from '../../shared/api.ts';

export function missingIndices(res: Extract<FinalizeResponse, { status: 'incomplete' }>): number[] {
  return res.missing;
}
