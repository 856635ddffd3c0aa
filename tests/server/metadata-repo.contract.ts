/**
 * The MetadataRepo contract, run on SQLite and PostgreSQL (the output ledger's compare-and-set
 * steps have their own suite: output-ledger.contract.ts).
 * `makeRepo` returns a fresh, empty, migrated repository.
 */
import { describe, expect, it } from 'vitest';
import type { MetadataRepo, NewVideo } from '../../src/server/storage/metadata-repo.ts';

const id = (n: number) => `${'A'.repeat(20)}${String(n).padStart(2, '0')}`;
const video = (n: number, userId: string, recordingId: string, now = 1000): NewVideo => ({
  id: id(n),
  userId,
  recordingId,
  shareId: id(50 + n),
  title: null,
  mimeType: 'video/webm',
  now,
});
const R1 = '11111111-1111-4111-8111-111111111111';
const R2 = '22222222-2222-4222-8222-222222222222';

export function runMetadataRepoContract(name: string, makeRepo: () => Promise<MetadataRepo>): void {
  describe(`MetadataRepo contract: ${name}`, () => {
    const withUser = async () => {
      const repo = await makeRepo();
      const user = await repo.createUser('U'.repeat(22), 'ann', 1);
      return { repo, user };
    };

    it('creates users, finds them by name and by live token hash only', async () => {
      const { repo, user } = await withUser();
      expect(await repo.countUsers()).toBe(1);
      expect(await repo.findUserByName('ann')).toEqual(user);
      expect(await repo.findUserByName('nobody')).toBeNull();
      await repo.addToken(user.id, 'h1', 2);
      expect(await repo.findUserByTokenHash('h1')).toEqual(user);
      expect(await repo.findUserByTokenHash('h2')).toBeNull();
      expect(await repo.revokeTokens(user.id, 3)).toBe(1);
      expect(await repo.findUserByTokenHash('h1')).toBeNull();
      await expect(repo.createUser('V'.repeat(22), 'ann', 4)).rejects.toThrow();
      await repo.close();
    });

    it('creates a video once per (user, recordingId)', async () => {
      const { repo, user } = await withUser();
      const a = await repo.createVideo(video(1, user.id, R1));
      expect(a.created).toBe(true);
      expect(a.video).toMatchObject({ id: id(1), state: 'open', totalChunks: null, assembledChunks: 0, partial: false, gaps: [] });
      const again = await repo.createVideo(video(2, user.id, R1));
      expect(again).toEqual({ video: a.video, created: false });
      expect(await repo.getVideo(id(2))).toBeNull();
      expect(await repo.getVideoByShareId(id(51))).toEqual(a.video);
      await repo.close();
    });

    it('lists a user’s videos newest first', async () => {
      const { repo, user } = await withUser();
      await repo.createVideo(video(1, user.id, R1, 10));
      await repo.createVideo(video(2, user.id, R2, 20));
      expect((await repo.listVideos(user.id)).map((v) => v.id)).toEqual([id(2), id(1)]);
      expect(await repo.listVideos('nobody')).toEqual([]);
      await repo.close();
    });

    it('records chunks once, in index order, and bumps activity', async () => {
      const { repo, user } = await withUser();
      await repo.createVideo(video(1, user.id, R1, 10));
      expect(await repo.chunkSummary(id(1))).toEqual({ count: 0, highest: -1 });
      expect(await repo.insertChunk(id(1), { index: 2, size: 5, sha256: 'b' }, 20)).toBe(true);
      expect(await repo.insertChunk(id(1), { index: 0, size: 3, sha256: 'a' }, 30)).toBe(true);
      expect(await repo.insertChunk(id(1), { index: 0, size: 9, sha256: 'z' }, 40)).toBe(false);
      expect(await repo.listChunks(id(1))).toEqual([{ index: 0, size: 3, sha256: 'a' }, { index: 2, size: 5, sha256: 'b' }]);
      expect(await repo.chunkSummary(id(1))).toEqual({ count: 2, highest: 2 });
      expect(await repo.chunkSummary(id(2))).toEqual({ count: 0, highest: -1 });
      expect(await repo.getChunk(id(1), 2)).toEqual({ index: 2, size: 5, sha256: 'b' });
      expect((await repo.getVideo(id(1)))!.updatedAt).toBe(30);
      await repo.deleteChunk(id(1), 2);
      expect(await repo.getChunk(id(1), 2)).toBeNull();
      // A chunk of a video that does not exist (deleted, or never created): not_found, nothing kept.
      for (const limits of [undefined, { userBytes: 1000, recordingBytes: 1000 }]) {
        await expect(repo.insertChunk(id(9), { index: 0, size: 3, sha256: 'a' }, 50, limits)).rejects.toMatchObject({ code: 'not_found' });
      }
      expect(await repo.chunkSummary(id(9))).toEqual({ count: 0, highest: -1 });
      await repo.close();
    });

    it('tracks assembly, total and completion atomically', async () => {
      const { repo, user } = await withUser();
      await repo.createVideo(video(1, user.id, R1, 10));
      await repo.setTotalChunks(id(1), 3, 11);
      expect(await repo.recordSegment(id(1), { number: 1, first: 0, end: 2, offset: 0, bytes: 100, etag: null }, 0, 12)).toBe(true);
      expect(await repo.getVideo(id(1))).toMatchObject({ totalChunks: 3, assembledChunks: 2, assembledBytes: 100 });
      const done = { sha256: 'f'.repeat(64), chunksDigest: 'd'.repeat(64), partial: true, gaps: [[2, 2]] as [number, number][], now: 13, assembledChunks: 3, assembledBytes: 100 };
      expect(await repo.completeIf(id(1), 2, done)).toBe(true);
      expect(await repo.getVideo(id(1))).toMatchObject({ state: 'complete', sha256: 'f'.repeat(64), partial: true, gaps: [[2, 2]], completedAt: 13, assembledChunks: 3 });
      expect((await repo.listVideosByState('complete')).map((v) => v.id)).toEqual([id(1)]);
      await repo.close();
    });

    it('pages a user’s videos by (createdAt, id), newest first, each exactly once', async () => {
      const { repo, user } = await withUser();
      // Ties on createdAt (same millisecond) must neither repeat nor skip a video across pages.
      for (let n = 1; n <= 7; n++) await repo.createVideo(video(n, user.id, `${R1.slice(0, -2)}${String(n).padStart(2, '0')}`, n <= 4 ? 10 : 20));
      const seen: string[] = [];
      let after: { createdAt: number; id: string } | null = null;
      for (;;) {
        const page = await repo.listVideos(user.id, { limit: 3, after });
        seen.push(...page.map((v) => v.id));
        if (page.length < 3) break;
        const last = page[page.length - 1]!;
        after = { createdAt: last.createdAt, id: last.id };
      }
      expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1].map(id));
      await repo.close();
    });

    it('counts usage per user: stored bytes of every video not expired, and open sessions', async () => {
      const { repo, user } = await withUser();
      const other = await repo.createUser('O'.repeat(22), 'bob', 1);
      await repo.createVideo(video(1, user.id, R1, 10));
      await repo.createVideo(video(2, user.id, R2, 10));
      await repo.createVideo(video(3, other.id, R1, 10));
      await repo.insertChunk(id(1), { index: 0, size: 100, sha256: 'a' }, 11);
      await repo.recordSegment(id(2), { number: 1, first: 0, end: 1, offset: 0, bytes: 40, etag: null }, 0, 11, { index: 0, size: 40, sha256: 'b' });
      await repo.insertChunk(id(3), { index: 0, size: 7, sha256: 'c' }, 11);
      expect(await repo.usage(user.id)).toEqual({ bytes: 140, openSessions: 2 });
      expect((await repo.getVideo(id(1)))!.storedBytes).toBe(100);
      await repo.completeIf(id(2), 1, { sha256: 'f'.repeat(64), chunksDigest: 'd'.repeat(64), partial: false, gaps: [], now: 12, assembledChunks: 1, assembledBytes: 40 });
      await repo.deleteChunk(id(1), 0);
      expect(await repo.usage(user.id)).toEqual({ bytes: 40, openSessions: 1 });
      await repo.insertChunk(id(1), { index: 0, size: 10, sha256: 'a' }, 13);
      await repo.expireVideo(id(1), 14);
      expect(await repo.usage(user.id)).toEqual({ bytes: 40, openSessions: 0 });
      expect(await repo.usage(other.id)).toEqual({ bytes: 7, openSessions: 1 });
      await repo.close();
    });

    it('refuses, inside the write, a chunk over the user or recording limit and a session over the open limit', async () => {
      const { repo, user } = await withUser();
      await repo.createVideo(video(1, user.id, R1, 10));
      const limits = { userBytes: 100, recordingBytes: 60 };
      expect(await repo.insertChunk(id(1), { index: 0, size: 50, sha256: 'a' }, 11, limits)).toBe(true);
      await expect(repo.insertChunk(id(1), { index: 1, size: 11, sha256: 'b' }, 12, limits)).rejects.toMatchObject({ code: 'recording_too_large' });
      await expect(repo.recordSegment(id(1), { number: 1, first: 0, end: 1, offset: 0, bytes: 11, etag: null }, 0, 12, { index: 1, size: 11, sha256: 'b', limits })).rejects.toMatchObject({ code: 'recording_too_large' });
      expect(await repo.getChunk(id(1), 1)).toBeNull();
      expect((await repo.getVideo(id(1)))!).toMatchObject({ storedBytes: 50, assembledChunks: 0 });
      await expect(repo.createVideo(video(2, user.id, R2, 13), 1)).rejects.toMatchObject({ code: 'too_many_open_sessions' });
      expect(await repo.getVideo(id(2))).toBeNull();
      // The same recording again is no new session: answered, not refused.
      expect((await repo.createVideo(video(3, user.id, R1, 13), 1)).created).toBe(false);
      await repo.createVideo(video(2, user.id, R2, 13), 2);
      expect(await repo.insertChunk(id(2), { index: 0, size: 50, sha256: 'c' }, 14, limits)).toBe(true);
      await expect(repo.insertChunk(id(2), { index: 1, size: 1, sha256: 'd' }, 15, limits)).rejects.toMatchObject({ code: 'user_quota_exceeded' });
      expect(await repo.usage(user.id)).toEqual({ bytes: 100, openSessions: 2 });
      await repo.close();
    });

    it('lists open videos that are idle or older than a maximum age', async () => {
      const { repo, user } = await withUser();
      await repo.createVideo(video(1, user.id, R1, 10));
      await repo.createVideo(video(2, user.id, R2, 50));
      await repo.insertChunk(id(1), { index: 0, size: 1, sha256: 'a' }, 100);
      expect(await repo.listIdleOpenVideos(40)).toEqual([]);
      expect((await repo.listIdleOpenVideos(40, 20)).map((v) => v.id)).toEqual([id(1)]);
      await repo.close();
    });

    it('finds idle open videos, expires them (dropping chunk records) and deletes', async () => {
      const { repo, user } = await withUser();
      await repo.createVideo(video(1, user.id, R1, 10));
      await repo.createVideo(video(2, user.id, R2, 50));
      await repo.insertChunk(id(1), { index: 0, size: 1, sha256: 'a' }, 10);
      expect((await repo.listIdleOpenVideos(40)).map((v) => v.id)).toEqual([id(1)]);
      await repo.expireVideo(id(1), 60);
      expect(await repo.getVideo(id(1))).toMatchObject({ state: 'expired' });
      expect(await repo.listChunks(id(1))).toEqual([]);
      expect(await repo.listIdleOpenVideos(100)).toHaveLength(1);
      await repo.deleteVideo(id(2));
      expect(await repo.getVideo(id(2))).toBeNull();
      expect((await repo.allVideoIds()).sort()).toEqual([id(1)]);
      await repo.close();
    });

    it('records the media layout, the served digest, the poster and the title, each durable and idempotent', async () => {
      const { repo, user } = await withUser();
      await repo.createVideo(video(1, user.id, R1, 10));
      await repo.createVideo(video(2, user.id, R2, 10));
      expect(await repo.getVideo(id(1))).toMatchObject({ durationMs: null, seekable: null, servedHead: null, fileSha256: null, posterAt: null, title: null });
      await repo.setMediaLayout(id(1), { durationMs: 4_000, seekable: true, servedHead: { length: 900, replaces: 700 } });
      await repo.setMediaLayout(id(2), { durationMs: null, seekable: false, servedHead: null });
      await repo.setFileSha256(id(1), 'e'.repeat(64));
      await repo.setPosterAt(id(1), 15);
      await repo.renameVideo(id(1), 'Standup, take 2', 20);
      await repo.renameVideo(id(1), 'Standup, take 3', 9); // an older clock must not move updatedAt back
      expect(await repo.getVideo(id(1))).toMatchObject({
        durationMs: 4_000,
        seekable: true,
        servedHead: { length: 900, replaces: 700 },
        fileSha256: 'e'.repeat(64),
        posterAt: 15,
        title: 'Standup, take 3',
        updatedAt: 20,
      });
      expect(await repo.getVideo(id(2))).toMatchObject({ durationMs: null, seekable: false, servedHead: null, fileSha256: null, posterAt: null, title: null, updatedAt: 10 });
      await repo.setPosterAt(id(2), 30);
      expect(await repo.getVideo(id(2))).toMatchObject({ posterAt: 30, updatedAt: 30 });
      await repo.close();
    });

    it('starts a video with an empty output prefix and records the chunks digest with a completion', async () => {
      const { repo, user } = await withUser();
      const { video: v } = await repo.createVideo(video(1, user.id, R1, 10));
      expect(v).toMatchObject({ assembledChunks: 0, assembledBytes: 0, outputSegments: 0, outputUploadId: null, chunksDigest: null });
      expect(await repo.completeIf(id(1), 0, { sha256: null, chunksDigest: 'd'.repeat(64), partial: false, gaps: [], now: 13, assembledChunks: 0, assembledBytes: 0 })).toBe(true);
      expect(await repo.getVideo(id(1))).toMatchObject({ state: 'complete', sha256: null, chunksDigest: 'd'.repeat(64) });
      await repo.close();
    });
  });
}
