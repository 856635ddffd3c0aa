/**
 * The OutputWriter contract (src/server/storage/ports.ts): every implementation — one file per
 * video on disk, a multipart upload on S3 — must pass it. `record` below drives a writer the
 * way ingest does: plan from the recorded prefix after every chunk, write each planned segment,
 * advance the prefix by its receipt, plan the tail with `final`, complete from the receipts.
 * `minSegmentBytes`: the smallest a segment other than the last may be (S3: 5 MiB).
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/server/ids.ts';
import type { OutputHandle, OutputWriter, SegmentPlan, SegmentReceipt } from '../../src/server/storage/ports.ts';
import { expectCode } from './chunk-objects.contract.ts';

type Prefix = { chunks: number; bytes: number; segments: number };
const EMPTY: Prefix = { chunks: 0, bytes: 0, segments: 0 };

/** Sizes that make three S3 parts (two of at least 5 MiB and a tail) in under 12 MB. */
const SIZES = [1_400_000, 1_200_000, 1_500_000, 1_300_000, 900_000, 2_000_000, 1_700_000, 1_100_000, 600_000];

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of r) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

/** Plans after every chunk as ingest does, assuming each planned segment gets recorded. */
function planIncrementally(w: OutputWriter, sizes: readonly number[]): SegmentPlan[] {
  const out: SegmentPlan[] = [];
  let prefix = EMPTY;
  const step = (upto: number, final: boolean) => {
    for (const seg of w.plan(prefix, sizes.slice(prefix.chunks, upto), final)) {
      out.push(seg);
      prefix = { chunks: seg.end, bytes: seg.offset + seg.bytes, segments: seg.number };
    }
  };
  for (let i = 1; i <= sizes.length; i++) step(i, false);
  step(sizes.length, true);
  return out;
}

function expectContiguous(segs: readonly SegmentPlan[], sizes: readonly number[], from: Prefix): void {
  let p = from;
  for (const s of segs) {
    expect(s).toMatchObject({ number: p.segments + 1, first: p.chunks, offset: p.bytes });
    expect(s.end).toBeGreaterThan(s.first);
    expect(s.bytes).toBe(sizes.slice(s.first - from.chunks, s.end - from.chunks).reduce((a, b) => a + b, 0));
    p = { chunks: s.end, bytes: s.offset + s.bytes, segments: s.number };
  }
  expect(p.chunks).toBe(from.chunks + sizes.length);
}

export interface Recorded {
  h: OutputHandle;
  data: Buffer;
  receipts: SegmentReceipt[];
  prefix: Prefix;
}

/** Writes `chunks` as ingest would, without completing. */
async function writeAll(w: OutputWriter, videoId: string, chunks: readonly Buffer[]): Promise<Recorded> {
  const h = await w.begin(videoId);
  const receipts: SegmentReceipt[] = [];
  let prefix = EMPTY;
  const step = async (upto: number, final: boolean) => {
    const sizes = chunks.slice(prefix.chunks, upto).map((c) => c.length);
    for (const seg of w.plan(prefix, sizes, final)) {
      const r = await w.write(h, seg, chunks.slice(seg.first, seg.end));
      expect(r).toMatchObject(seg);
      receipts.push(r);
      prefix = { chunks: seg.end, bytes: seg.offset + seg.bytes, segments: seg.number };
    }
  };
  for (let i = 1; i <= chunks.length; i++) await step(i, false);
  await step(chunks.length, true);
  return { h, data: Buffer.concat(chunks), receipts, prefix };
}

const withEtag = (rs: readonly SegmentReceipt[]) => rs.filter((r) => r.etag !== null);

export async function recordOutput(w: OutputWriter, videoId: string, chunks: readonly Buffer[]): Promise<Recorded> {
  const rec = await writeAll(w, videoId, chunks);
  await w.complete(rec.h, withEtag(rec.receipts), rec.prefix.bytes);
  return rec;
}

export function runOutputWriterContract(
  name: string,
  makeStore: () => Promise<{ store: OutputWriter; minSegmentBytes: number; cleanup(): Promise<void> }>,
): void {
  describe(`OutputWriter contract: ${name}`, () => {
    let cleanup: (() => Promise<void>) | null = null;
    let minSegmentBytes = 0;
    const fresh = async () => {
      const made = await makeStore();
      cleanup = made.cleanup;
      minSegmentBytes = made.minSegmentBytes;
      return made.store;
    };
    afterEach(async () => {
      await cleanup?.();
      cleanup = null;
    });
    const chunksOf = (sizes: readonly number[]) => sizes.map((n) => randomBytes(n));

    it('plans the same segments after every chunk as once at the end, contiguous and numbered on', async () => {
      const w = await fresh();
      for (const sizes of [SIZES, Array<number>(30).fill(625_000), [3, 9_000_000, 1, 1, 6_000_000], [42]]) {
        const once = w.plan(EMPTY, sizes, true);
        expect(planIncrementally(w, sizes)).toEqual(once);
        expectContiguous(once, sizes, EMPTY);
        for (const s of once.slice(0, -1)) expect(s.bytes).toBeGreaterThanOrEqual(minSegmentBytes);
        const from = { chunks: 4, bytes: 7_000_000, segments: 2 };
        expectContiguous(w.plan(from, sizes, true), sizes, from);
      }
      expect(w.plan(EMPTY, [], true)).toEqual([]);
    });

    it('writes a recording and opens it whole and by range', async () => {
      const w = await fresh();
      const vid = newId();
      const { data } = await recordOutput(w, vid, chunksOf(SIZES));
      const whole = await w.open(vid);
      expect(whole.size).toBe(data.length);
      expect((await readAll(whole.body)).equals(data)).toBe(true);
      const boundary = SIZES[0]! + SIZES[1]!;
      for (const [start, end] of [
        [0, 0],
        [boundary - 100, boundary + 99],
        [data.length - 1, data.length - 1],
        [data.length - 10, data.length + 500],
      ] as const) {
        const part = await w.open(vid, { start, end });
        expect(part.size).toBe(data.length);
        expect((await readAll(part.body)).equals(data.subarray(start, end + 1))).toBe(true);
      }
    });

    it('rejects not_found for an absent output before producing a stream', async () => {
      const w = await fresh();
      await expectCode(w.open(newId()), 'not_found');
      await expectCode(w.open(newId(), { start: 0, end: 9 }), 'not_found');
    });

    it('rejects range_not_satisfiable for a range starting past the end', async () => {
      const w = await fresh();
      const vid = newId();
      const { data } = await recordOutput(w, vid, [Buffer.from('a short recording')]);
      await expectCode(w.open(vid, { start: data.length, end: data.length + 5 }), 'range_not_satisfiable');
    });

    it('rewrites a planned segment in place when it is written again (a node died before recording it)', async () => {
      const w = await fresh();
      const vid = newId();
      const chunks = chunksOf(SIZES);
      const h = await w.begin(vid);
      const segs = w.plan(EMPTY, SIZES, true);
      expect(segs.length).toBeGreaterThan(1);
      const receipts: SegmentReceipt[] = [];
      for (const seg of segs) {
        await w.write(h, seg, chunks.slice(seg.first, seg.end));
        // The receipt of the first write is lost; the same plan is written again.
        receipts.push(await w.write(h, seg, chunks.slice(seg.first, seg.end)));
      }
      await w.write(h, segs[0]!, chunks.slice(segs[0]!.first, segs[0]!.end));
      const size = SIZES.reduce((a, b) => a + b, 0);
      await w.complete(h, withEtag(receipts), size);
      expect((await readAll((await w.open(vid)).body)).equals(Buffer.concat(chunks))).toBe(true);
    });

    it('completes idempotently', async () => {
      const w = await fresh();
      const vid = newId();
      const rec = await recordOutput(w, vid, chunksOf([700_000, 300_000]));
      await w.complete(rec.h, withEtag(rec.receipts), rec.prefix.bytes);
      const out = await w.open(vid);
      expect(out.size).toBe(rec.data.length);
      expect((await readAll(out.body)).equals(rec.data)).toBe(true);
    });

    it('publishes only the recorded prefix: a segment written but not recorded is left out', async () => {
      const w = await fresh();
      const vid = newId();
      const rec = await writeAll(w, vid, chunksOf(SIZES));
      const recorded = rec.receipts.slice(0, -1);
      const last = recorded.at(-1)!;
      await w.complete(rec.h, withEtag(recorded), last.offset + last.bytes);
      const out = await w.open(vid);
      expect(out.size).toBe(last.offset + last.bytes);
      expect((await readAll(out.body)).equals(rec.data.subarray(0, last.offset + last.bytes))).toBe(true);
    });

    it('publishes an output with no segment as empty', async () => {
      const w = await fresh();
      const vid = newId();
      const h = await w.begin(vid);
      await w.complete(h, [], 0);
      const out = await w.open(vid);
      expect(out.size).toBe(0);
      expect((await readAll(out.body)).length).toBe(0);
    });

    it('aborts an unfinished output (twice is fine) and nothing is published', async () => {
      const w = await fresh();
      const vid = newId();
      const chunk = randomBytes(1000);
      const h = await w.begin(vid);
      await w.write(h, w.plan(EMPTY, [chunk.length], true)[0]!, [chunk]);
      await w.abort(h);
      await w.abort(h);
      await expectCode(w.open(vid), 'not_found');
    });

    it('deletes a published output; deleting an absent one is fine', async () => {
      const w = await fresh();
      const vid = newId();
      await recordOutput(w, vid, [Buffer.from('to be deleted')]);
      await w.delete(vid);
      await w.delete(vid);
      await w.delete(newId());
      await expectCode(w.open(vid), 'not_found');
    });

    it('keeps outputs of different videos apart', async () => {
      const w = await fresh();
      const [a, b] = [newId(), newId()];
      const [ra, rb] = await Promise.all([recordOutput(w, a, chunksOf([1000, 2000])), recordOutput(w, b, chunksOf([3000]))]);
      expect((await readAll((await w.open(a)).body)).equals(ra.data)).toBe(true);
      expect((await readAll((await w.open(b)).body)).equals(rb.data)).toBe(true);
    });
  });
}
