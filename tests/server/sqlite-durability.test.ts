/**
 * The metadata side of the ingest fast path: `recordSegment` with its chunk records the chunk
 * and the new prefix in one transaction and changes nothing for a chunk already recorded; the
 * durable writes (flushed through the WAL file off the event loop) reach the file that a second
 * connection — the CLI, or the next start after a crash — reads. Commits nobody waits for
 * (`touchVideo`) are flushed once, soon, in the background.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SqliteMetadataRepo } from '../../src/server/storage/sqlite-metadata-repo.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-sqlite-dur-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const USER = 'U'.repeat(22);
const VIDEO = 'V'.repeat(22);
const chunk = (index: number, size: number) => ({ index, size, sha256: String(index).repeat(64).slice(0, 64) });
/** The disk writer's segment for one chunk written at `offset` (no ETag). */
const seg = (index: number, offset: number, bytes: number) => ({ number: index + 1, first: index, end: index + 1, offset, bytes, etag: null });

describe('SqliteMetadataRepo background WAL flush', () => {
  it('flushes the WAL once, soon after a burst of commits nobody waits for, and not when idle', async () => {
    const file = join(dir, 'flush.sqlite');
    const repo = new SqliteMetadataRepo(file);
    await repo.createUser(USER, 'ann', 1);
    await repo.createVideo({ id: VIDEO, userId: USER, recordingId: 'r1', shareId: 'S'.repeat(22), title: null, mimeType: 'video/webm', now: 1 });
    // Count fdatasyncs through the FileHandle prototype the repository's WAL handle shares.
    const probe = await open(file, 'r');
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const original = proto.datasync;
    let flushes = 0;
    proto.datasync = function (this: unknown) {
      flushes++;
      return original.call(this);
    };
    // The flush is scheduled on a timer: fake timers let the test fire it, and then prove that
    // nothing else is scheduled, instead of sleeping and hoping the machine kept time.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      for (let i = 0; i < 20; i++) await repo.touchVideo(VIDEO, 10 + i);
      expect(flushes).toBe(0); // not one per commit: the event loop never waits for them
      expect(vi.getTimerCount()).toBe(1); // one flush scheduled for the whole burst
      vi.runOnlyPendingTimers();
      await vi.waitFor(() => expect(flushes).toBe(1), { timeout: 5_000 });
      // Idle: no timer left that could flush, and advancing the clock flushes nothing.
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(flushes).toBe(1);
    } finally {
      vi.useRealTimers();
      proto.datasync = original;
      await repo.close();
    }
  });
});

describe('SqliteMetadataRepo durability and the fast path', () => {
  it('records chunk and prefix together, once', async () => {
    const file = join(dir, 'a.sqlite');
    const repo = new SqliteMetadataRepo(file);
    await repo.createUser(USER, 'ann', 1);
    await repo.createVideo({ id: VIDEO, userId: USER, recordingId: 'r1', shareId: 'S'.repeat(22), title: null, mimeType: 'video/webm', now: 1 });
    expect(await repo.recordSegment(VIDEO, seg(0, 0, 10), 0, 5, chunk(0, 10))).toBe(true);
    expect(await repo.recordSegment(VIDEO, seg(1, 10, 7), 1, 6, chunk(1, 7))).toBe(true);
    expect(await repo.getVideo(VIDEO)).toMatchObject({ assembledChunks: 2, assembledBytes: 17, storedBytes: 17, updatedAt: 6 });
    // A duplicate changes nothing, not even the counters.
    expect(await repo.recordSegment(VIDEO, seg(2, 17, 99), 2, 7, chunk(1, 99))).toBe(false);
    expect(await repo.getVideo(VIDEO)).toMatchObject({ assembledChunks: 2, assembledBytes: 17, storedBytes: 17, updatedAt: 6 });
    expect(await repo.listChunks(VIDEO)).toEqual([chunk(0, 10), chunk(1, 7)]);

    // What the server committed is what another connection sees, while the server still runs.
    expect(await repo.completeIf(VIDEO, 2, { sha256: null, chunksDigest: 'd'.repeat(64), assembledChunks: 2, assembledBytes: 17, partial: false, gaps: [], now: 8 })).toBe(true);
    const other = new Database(file, { readonly: true });
    expect(other.prepare('SELECT state, assembled_bytes FROM videos WHERE id = ?').get(VIDEO)).toEqual({ state: 'complete', assembled_bytes: 17 });
    other.close();
    await repo.close();
    // Closing twice (app shutdown after a failed start) is harmless.
    await repo.close();
  });
});
