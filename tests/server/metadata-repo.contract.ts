/**
 * The MetadataRepo contract: SQLite now, PostgreSQL later must pass the same suite.
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
      await repo.close();
    });

    it('tracks assembly, total and completion atomically', async () => {
      const { repo, user } = await withUser();
      await repo.createVideo(video(1, user.id, R1, 10));
      await repo.setTotalChunks(id(1), 3, 11);
      await repo.setAssembled(id(1), 2, 100, 12);
      expect(await repo.getVideo(id(1))).toMatchObject({ totalChunks: 3, assembledChunks: 2, assembledBytes: 100 });
      await repo.completeVideo(id(1), { sha256: 'f'.repeat(64), partial: true, gaps: [[2, 2]], now: 13, assembledChunks: 3, assembledBytes: 100 });
      expect(await repo.getVideo(id(1))).toMatchObject({ state: 'complete', sha256: 'f'.repeat(64), partial: true, gaps: [[2, 2]], completedAt: 13, assembledChunks: 3 });
      expect((await repo.listVideosByState('complete')).map((v) => v.id)).toEqual([id(1)]);
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
  });
}
