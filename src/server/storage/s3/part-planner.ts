/**
 * Which runs of chunks become which S3 multipart-upload parts — pure, so every node that picks up
 * a recording plans the same parts from the same facts (chunk sizes, parts already stored).
 *
 * S3's rules this must keep (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html):
 * every part except the last is at least 5 MiB; part numbers are 1..10,000; a part is at most
 * 5 GiB. CompleteMultipartUpload answers EntityTooSmall when a non-last part is too small.
 *
 * The partition is fixed by the chunk sizes alone: starting after the previous part, a part is
 * the shortest run of whole chunks reaching `minPartBytes`. So planning after every chunk, or
 * once at the end, or again on another node after a crash, gives the same part boundaries, and
 * re-uploading a planned part (its upload was lost before it was recorded) rewrites the same
 * bytes under the same number — idempotent. Parts already stored are never planned again: no
 * byte is uploaded twice (unlike tus's s3-store, which re-uploads its `.part` object on every
 * PATCH). At finalize, whatever follows the last full part becomes the last part, any size.
 *
 * `holdFirstPart` (as Cap does): part 1 is planned like the others but not uploaded until
 * finalize, so the file's header, which lives in it, can still be rewritten (seekable WebM
 * patches Duration/SeekHead/Cues positions). Parts 2.. upload as soon as they are full. The
 * bytes of part 1 at finalize may differ in content and length from the chunks' sum; only its
 * chunk range is planned here.
 *
 * Positions are indices into `sizes`, the chunks in the order they are appended to the output
 * (the contiguous prefix the server holds; a partial completion passes the chunks it keeps).
 */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
export const MAX_PART_BYTES = 5 * 1024 * 1024 * 1024;
export const MAX_PARTS = 10_000;

export interface PartSpan {
  partNumber: number;
  /** First chunk position in the part. */
  first: number;
  /** One past the last chunk position. */
  end: number;
  bytes: number;
}

export interface PlanInput {
  /** Sizes of the chunks appended so far, in output order. */
  sizes: readonly number[];
  /** Parts already stored (any order), as this planner planned them. */
  stored: readonly PartSpan[];
  /** The recording is complete: plan the tail as the last part and release a held part 1. */
  final: boolean;
  holdFirstPart?: boolean;
  minPartBytes?: number;
}

export class PartPlanError extends Error {
  override name = 'PartPlanError';
}

/** The deterministic partition of `sizes` into parts; the tail under the minimum only if `final`. */
export function partition(sizes: readonly number[], final: boolean, minPartBytes = MIN_PART_BYTES): PartSpan[] {
  const parts: PartSpan[] = [];
  let first = 0;
  while (first < sizes.length) {
    let end = first;
    let bytes = 0;
    while (end < sizes.length && bytes < minPartBytes) bytes += sizes[end++]!;
    if (bytes < minPartBytes && !final) break;
    if (bytes > MAX_PART_BYTES) throw new PartPlanError(`a part would be ${bytes} bytes, more than S3's 5 GiB limit`);
    parts.push({ partNumber: parts.length + 1, first, end, bytes });
    first = end;
  }
  if (parts.length > MAX_PARTS) throw new PartPlanError(`${parts.length} parts exceed S3's limit of ${MAX_PARTS}`);
  return parts;
}

/**
 * The parts to upload now, in part-number order. Throws PartPlanError when `stored` is not what
 * this planner would have planned (a part with other boundaries: a bug or a different
 * `minPartBytes`), because completing such an upload would assemble the wrong bytes.
 */
export function planParts(input: PlanInput): PartSpan[] {
  const min = input.minPartBytes ?? MIN_PART_BYTES;
  const plan = partition(input.sizes, input.final, min);
  const byNumber = new Map(plan.map((p) => [p.partNumber, p]));
  const done = new Set<number>();
  for (const s of input.stored) {
    const p = byNumber.get(s.partNumber);
    // A stored non-last part is full, so it is in the plan with the same range; a stored last
    // part exists only after finalize, when the plan holds the tail too.
    if (!p || p.first !== s.first || p.end !== s.end) {
      throw new PartPlanError(`stored part ${s.partNumber} [${s.first}, ${s.end}) does not match the plan`);
    }
    done.add(s.partNumber);
  }
  return plan.filter((p) => !done.has(p.partNumber) && !(input.holdFirstPart && !input.final && p.partNumber === 1));
}
