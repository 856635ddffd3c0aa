/**
 * The OutputLedger contract (src/server/storage/ports.ts): the compare-and-set steps ingest
 * relies on across nodes, run against SQLite and PostgreSQL alike. `fresh` returns an empty,
 * migrated repository; `twoNodes` two repositories on one empty database (separate connections:
 * two API nodes on PostgreSQL, two processes' connections on SQLite).
 */
import { describe, expect, it } from 'vitest';
import type { MetadataRepo } from '../../src/server/storage/metadata-repo.ts';
import type { SegmentReceipt } from '../../src/server/storage/ports.ts';

export interface LedgerEngine {
  fresh(): Promise<MetadataRepo>;
  twoNodes(): Promise<[MetadataRepo, MetadataRepo]>;
}

const USER = 'U'.repeat(22);
const vid = (n: number) => `V${String(n).padStart(21, '0')}`;
const hex = (c: string) => c.repeat(64);

async function withVideos(repo: MetadataRepo, count = 1): Promise<MetadataRepo> {
  if (!(await repo.findUserByName('ann'))) await repo.createUser(USER, 'ann', 1);
  for (let n = 1; n <= count; n++) {
    const recordingId = `11111111-1111-4111-8111-${String(n).padStart(12, '0')}`;
    await repo.createVideo({ id: vid(n), userId: USER, recordingId, shareId: `S${vid(n)}`, title: null, mimeType: 'video/webm', now: 10 });
  }
  return repo;
}

/** Segment `number` over chunks [first, end), each chunk `size` bytes, the prefix before it intact. */
const seg = (number: number, first: number, end: number, etag: string | null, size = 100): SegmentReceipt => ({
  number,
  first,
  end,
  offset: first * size,
  bytes: (end - first) * size,
  etag,
});

const completion = (over: Partial<Parameters<MetadataRepo['completeIf']>[2]> = {}) => ({
  sha256: null,
  chunksDigest: hex('d'),
  assembledChunks: 0,
  assembledBytes: 0,
  partial: false,
  gaps: [],
  now: 50,
  ...over,
});

export function runOutputLedgerContract(name: string, engine: LedgerEngine): void {
  describe(`OutputLedger contract: ${name}`, () => {
    it('records the output handle once, and only while the video is open', async () => {
      const repo = await withVideos(await engine.fresh(), 2);
      expect((await repo.getVideo(vid(1)))!.outputUploadId).toBeNull();
      expect(await repo.setOutputHandle(vid(1), 'upload-a')).toBe(true);
      expect(await repo.setOutputHandle(vid(1), 'upload-b')).toBe(false);
      expect((await repo.getVideo(vid(1)))!.outputUploadId).toBe('upload-a');
      await repo.expireVideo(vid(2), 20);
      expect(await repo.setOutputHandle(vid(2), 'upload-c')).toBe(false);
      expect((await repo.getVideo(vid(2)))!.outputUploadId).toBeNull();
      expect(await repo.setOutputHandle(vid(9), 'upload-d')).toBe(false);
      await repo.close();
    });

    it('advances the prefix by each segment and keeps only receipts with an ETag, by number', async () => {
      const repo = await withVideos(await engine.fresh(), 2);
      expect(await repo.recordSegment(vid(1), seg(1, 0, 1, null), 0, 20)).toBe(true);
      expect(await repo.recordSegment(vid(1), seg(2, 1, 3, null), 1, 21)).toBe(true);
      expect(await repo.getVideo(vid(1))).toMatchObject({ assembledChunks: 3, assembledBytes: 300, outputSegments: 2, updatedAt: 21 });
      expect(await repo.listSegments(vid(1))).toEqual([]);
      expect(await repo.recordSegment(vid(2), seg(1, 0, 50, '"e1"'), 0, 20)).toBe(true);
      expect(await repo.recordSegment(vid(2), seg(2, 50, 51, '"e2"'), 50, 20)).toBe(true);
      expect(await repo.listSegments(vid(2))).toEqual([seg(1, 0, 50, '"e1"'), seg(2, 50, 51, '"e2"')]);
      expect(await repo.getVideo(vid(2))).toMatchObject({ assembledChunks: 51, assembledBytes: 5100, outputSegments: 2 });
      await repo.close();
    });

    it('changes nothing when the prefix moved or the video is not open', async () => {
      const repo = await withVideos(await engine.fresh(), 3);
      await repo.recordSegment(vid(1), seg(1, 0, 2, '"a"'), 0, 20);
      const before = await repo.getVideo(vid(1));
      expect(await repo.recordSegment(vid(1), seg(1, 0, 1, '"late"'), 0, 30)).toBe(false);
      expect(await repo.recordSegment(vid(1), seg(2, 3, 4, '"ahead"'), 3, 30)).toBe(false);
      expect(await repo.getVideo(vid(1))).toEqual(before);
      expect(await repo.listSegments(vid(1))).toEqual([seg(1, 0, 2, '"a"')]);
      expect(await repo.completeIf(vid(2), 0, completion())).toBe(true);
      expect(await repo.recordSegment(vid(2), seg(1, 0, 1, '"x"'), 0, 30)).toBe(false);
      await repo.expireVideo(vid(3), 30);
      expect(await repo.recordSegment(vid(3), seg(1, 0, 1, '"x"'), 0, 31, { index: 0, size: 100, sha256: hex('a') })).toBe(false);
      expect(await repo.getChunk(vid(3), 0)).toBeNull();
      expect(await repo.listSegments(vid(2))).toEqual([]);
      expect(await repo.getVideo(vid(2))).toMatchObject({ assembledChunks: 0, outputSegments: 0, state: 'complete' });
      await repo.close();
    });

    it('records the in-order chunk with its segment in one step, and refuses a chunk already recorded', async () => {
      const repo = await withVideos(await engine.fresh());
      expect(await repo.recordSegment(vid(1), seg(1, 0, 1, null), 0, 20, { index: 0, size: 100, sha256: hex('a') })).toBe(true);
      expect(await repo.getChunk(vid(1), 0)).toEqual({ index: 0, size: 100, sha256: hex('a') });
      expect(await repo.getVideo(vid(1))).toMatchObject({ assembledChunks: 1, assembledBytes: 100, outputSegments: 1, storedBytes: 100 });
      // Index 1 arrived out of order earlier (stored as a chunk object and row): the fast path must not claim it.
      expect(await repo.insertChunk(vid(1), { index: 1, size: 100, sha256: hex('b') }, 21)).toBe(true);
      const before = await repo.getVideo(vid(1));
      expect(await repo.recordSegment(vid(1), seg(2, 1, 2, '"x"'), 1, 22, { index: 1, size: 100, sha256: hex('c') })).toBe(false);
      expect(await repo.getVideo(vid(1))).toEqual(before);
      expect(await repo.getChunk(vid(1), 1)).toEqual({ index: 1, size: 100, sha256: hex('b') });
      expect(await repo.listSegments(vid(1))).toEqual([]);
      // A stale prefix with a new chunk: no chunk row is left behind.
      expect(await repo.recordSegment(vid(1), seg(2, 0, 1, null), 0, 23, { index: 5, size: 100, sha256: hex('e') })).toBe(false);
      expect(await repo.getChunk(vid(1), 5)).toBeNull();
      expect((await repo.getVideo(vid(1)))!.storedBytes).toBe(200);
      await repo.close();
    });

    it('checks the recording and user limits inside recordSegment, changing nothing on refusal', async () => {
      const repo = await withVideos(await engine.fresh(), 2);
      const limits = { userBytes: 220, recordingBytes: 150 };
      expect(await repo.recordSegment(vid(1), seg(1, 0, 1, null), 0, 20, { index: 0, size: 100, sha256: hex('a'), limits })).toBe(true);
      await expect(
        repo.recordSegment(vid(1), seg(2, 1, 2, '"e"'), 1, 21, { index: 1, size: 100, sha256: hex('b'), limits }),
      ).rejects.toMatchObject({ code: 'recording_too_large' });
      expect(await repo.getChunk(vid(1), 1)).toBeNull();
      expect(await repo.listSegments(vid(1))).toEqual([]);
      expect(await repo.getVideo(vid(1))).toMatchObject({ assembledChunks: 1, assembledBytes: 100, outputSegments: 1, storedBytes: 100 });
      expect(await repo.recordSegment(vid(2), seg(1, 0, 1, null), 0, 22, { index: 0, size: 100, sha256: hex('c'), limits })).toBe(true);
      await expect(
        repo.recordSegment(vid(2), seg(2, 1, 2, null), 1, 23, { index: 1, size: 40, sha256: hex('d'), limits }),
      ).rejects.toMatchObject({ code: 'user_quota_exceeded' });
      expect(await repo.getVideo(vid(2))).toMatchObject({ assembledChunks: 1, storedBytes: 100 });
      expect(await repo.usage(USER)).toEqual({ bytes: 200, openSessions: 2 });
      await repo.close();
    });

    it('completes only an open video at the expected prefix, with the chunks digest and no recorded sha256 yet', async () => {
      const repo = await withVideos(await engine.fresh());
      await repo.recordSegment(vid(1), seg(1, 0, 2, null), 0, 20);
      expect(await repo.completeIf(vid(1), 1, completion({ assembledChunks: 2, assembledBytes: 200 }))).toBe(false);
      expect((await repo.getVideo(vid(1)))!.state).toBe('open');
      const c = completion({ assembledChunks: 4, assembledBytes: 200, partial: true, gaps: [[2, 3]], now: 60 });
      expect(await repo.completeIf(vid(1), 2, c)).toBe(true);
      expect(await repo.getVideo(vid(1))).toMatchObject({
        state: 'complete',
        sha256: null,
        chunksDigest: hex('d'),
        partial: true,
        gaps: [[2, 3]],
        completedAt: 60,
        assembledChunks: 4,
        assembledBytes: 200,
      });
      expect(await repo.completeIf(vid(1), 4, completion({ chunksDigest: hex('e') }))).toBe(false);
      expect((await repo.getVideo(vid(1)))!.chunksDigest).toBe(hex('d'));
      await repo.close();
    });

    it('records the recorded sha256 once', async () => {
      const repo = await withVideos(await engine.fresh());
      await repo.completeIf(vid(1), 0, completion());
      await repo.setRecordedSha256(vid(1), hex('1'));
      await repo.setRecordedSha256(vid(1), hex('2'));
      expect((await repo.getVideo(vid(1)))!.sha256).toBe(hex('1'));
      await repo.close();
    });

    it('lists complete videos lacking after-completion work, oldest completion first, at most `limit`', async () => {
      const repo = await withVideos(await engine.fresh(), 5);
      await repo.completeIf(vid(1), 0, completion({ now: 30 }));
      await repo.completeIf(vid(2), 0, completion({ now: 10 }));
      await repo.completeIf(vid(3), 0, completion({ now: 20 }));
      await repo.expireVideo(vid(5), 40);
      expect(await repo.listCompletedPending(10)).toEqual([vid(2), vid(3), vid(1)]);
      expect(await repo.listCompletedPending(2)).toEqual([vid(2), vid(3)]);
      // Pending until all three are recorded: the recorded sha256, the media layout, the served digest.
      await repo.setRecordedSha256(vid(2), hex('1'));
      await repo.setMediaLayout(vid(2), { durationMs: 1000, seekable: true, servedHead: { length: 10, replaces: 5 } });
      expect(await repo.listCompletedPending(10)).toEqual([vid(2), vid(3), vid(1)]);
      await repo.setFileSha256(vid(2), hex('2'));
      expect(await repo.listCompletedPending(10)).toEqual([vid(3), vid(1)]);
      await repo.setFileSha256(vid(3), hex('3'));
      await repo.setMediaLayout(vid(3), { durationMs: null, seekable: false, servedHead: null });
      expect(await repo.listCompletedPending(10)).toEqual([vid(3), vid(1)]);
      await repo.close();
    });

    it('expiring forgets the segment receipts and the prefix but keeps the upload id (to abort it)', async () => {
      const repo = await withVideos(await engine.fresh());
      await repo.setOutputHandle(vid(1), 'upload-a');
      await repo.recordSegment(vid(1), seg(1, 0, 2, '"e"'), 0, 20, { index: 0, size: 200, sha256: hex('a') });
      await repo.expireVideo(vid(1), 30);
      expect(await repo.listSegments(vid(1))).toEqual([]);
      expect(await repo.getVideo(vid(1))).toMatchObject({ state: 'expired', assembledChunks: 0, outputSegments: 0, outputUploadId: 'upload-a' });
      await repo.deleteVideo(vid(1));
      expect(await repo.listSegments(vid(1))).toEqual([]);
      await repo.close();
    });

    describe('two nodes racing', () => {
      const ROUNDS = 20;

      it('recordSegment against the same prefix: exactly one wins each round, its receipt and chunk are the ones kept', async () => {
        const [a, b] = await engine.twoNodes();
        await withVideos(a);
        const winners: string[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const [ra, rb] = await Promise.all([
            a.recordSegment(vid(1), seg(i + 1, i, i + 1, `"a${i}"`), i, 20 + i, { index: i, size: 100, sha256: hex('a') }),
            b.recordSegment(vid(1), seg(i + 1, i, i + 1, `"b${i}"`), i, 20 + i, { index: i, size: 100, sha256: hex('b') }),
          ]);
          expect([ra, rb].filter(Boolean)).toHaveLength(1);
          winners.push(ra ? 'a' : 'b');
        }
        const segments = await b.listSegments(vid(1));
        expect(segments.map((s) => s.etag)).toEqual(winners.map((w, i) => `"${w}${i}"`));
        expect((await a.listChunks(vid(1))).map((c) => c.sha256)).toEqual(winners.map((w) => hex(w)));
        expect(await a.getVideo(vid(1))).toMatchObject({ assembledChunks: ROUNDS, assembledBytes: ROUNDS * 100, outputSegments: ROUNDS, storedBytes: ROUNDS * 100 });
        await Promise.all([a.close(), b.close()]);
      });

      it('completeIf and recordSegment on the same prefix: exactly one wins', async () => {
        const [a, b] = await engine.twoNodes();
        await withVideos(a, ROUNDS);
        for (let n = 1; n <= ROUNDS; n++) {
          const results = await Promise.all([
            a.completeIf(vid(n), 0, completion()),
            b.completeIf(vid(n), 0, completion({ chunksDigest: hex('e') })),
            n % 2 ? a.recordSegment(vid(n), seg(1, 0, 1, '"s"'), 0, 20) : b.recordSegment(vid(n), seg(1, 0, 1, '"s"'), 0, 20),
          ]);
          expect(results.filter(Boolean)).toHaveLength(1);
          const v = (await b.getVideo(vid(n)))!;
          if (results[2]) expect(v).toMatchObject({ state: 'open', assembledChunks: 1, chunksDigest: null });
          else expect(v).toMatchObject({ state: 'complete', chunksDigest: results[0] ? hex('d') : hex('e') });
        }
        await Promise.all([a.close(), b.close()]);
      });
    });
  });
}
