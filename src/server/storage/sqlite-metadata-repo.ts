/**
 * MetadataRepo on SQLite via better-sqlite3@12 (v13 needs Node 22). WAL lets the CLI and test
 * helpers open the same file while the server runs; busy_timeout makes them wait instead of
 * failing on a momentary write lock (past it: 503, sqlite-errors.ts). Statements are prepared
 * once and cached (`st`).
 *
 * Durability (the port's promise: a resolved write survives a power loss): every write commits
 * and then waits for an fdatasync of the WAL off the event loop, shared by concurrent writers
 * (sqlite-wal-flush.ts says why this and not `synchronous = FULL`). That includes the per-chunk
 * ledger writes — `insertChunk`, `recordSegment` (with or without its chunk) and `completeIf` —
 * since no journal re-adopts what a lost commit forgot. The exceptions, named in their docs,
 * are `touchVideo` and the deprecated pre-ports `setAssembled`/`insertAssembledChunk`, which
 * commit without waiting and are flushed within WAL_FLUSH_DELAY_MS.
 *
 * Writes run as BEGIN IMMEDIATE transactions: the write lock is taken before the first read,
 * so a compare-and-set cannot read a prefix another connection is about to change (a deferred
 * transaction would fail its lock upgrade with SQLITE_BUSY_SNAPSHOT instead of waiting).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApiError } from '../../shared/errors.ts';
import type {
  ByteLimits,
  ChunkRecord,
  Completion,
  MediaLayout,
  MetadataRepo,
  NewVideo,
  Usage,
  User,
  VideoCursor,
  VideoRecord,
  VideoStateName,
} from './metadata-repo.ts';
import type { SegmentReceipt } from './ports.ts';
import { toCatalogueError } from './sqlite-errors.ts';
import { migrate } from './sqlite-migrations.ts';
import { SEGMENT_COLUMNS, toChunk, toUser, toVideo, type ChunkRow, type SegmentRow, type UserRow, type VideoRow } from './sqlite-rows.ts';
import { WalFlusher } from './sqlite-wal-flush.ts';

/** How long commits nobody waits for may wait for their background WAL flush. */
const WAL_FLUSH_DELAY_MS = 200;

/** Thrown inside a transaction to roll it back: the compare-and-set answers false. */
const UNDO = Symbol('undo');

export class SqliteMetadataRepo implements MetadataRepo {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly wal: WalFlusher;

  /** `file` may be ':memory:' (tests). */
  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.wal = new WalFlusher(file === ':memory:' ? null : `${file}-wal`, WAL_FLUSH_DELAY_MS);
  }

  /** Prepared once per SQL text (preparing costs more than running these statements). */
  private st(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn`, with SQLite's failures as catalogue errors. */
  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw toCatalogueError(err);
    }
  }

  /** One BEGIN IMMEDIATE transaction, committed (not yet flushed). */
  private commit<T>(fn: () => T): T {
    return this.read(() => this.db.transaction(fn).immediate());
  }

  private async flush(): Promise<void> {
    try {
      await this.wal.flush();
    } catch (err) {
      throw toCatalogueError(err);
    }
  }

  /** Runs `fn` as one transaction and resolves once its commit is on stable storage. */
  private async durably<T>(fn: () => T): Promise<T> {
    const result = this.commit(fn);
    await this.flush();
    return result;
  }

  /** A compare-and-set: `fn` answers whether it applied (or throws UNDO); durable when true. */
  private async durablyIf(fn: () => boolean): Promise<boolean> {
    let applied: boolean;
    try {
      applied = this.commit(fn);
    } catch (err) {
      if (err === UNDO) return false;
      throw err;
    }
    if (applied) await this.flush();
    return applied;
  }

  /** A commit nobody waits to be durable (see the header): flushed soon, in the background. */
  private soon<T>(fn: () => T): T {
    const result = this.commit(fn);
    this.wal.flushLater();
    return result;
  }

  async close(): Promise<void> {
    await this.wal.close();
    if (this.db.open) this.db.close();
  }

  async createUser(id: string, name: string, now: number): Promise<User> {
    await this.durably(() => this.st('INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)').run(id, name, now));
    return { id, name, createdAt: now };
  }

  async findUserByName(name: string): Promise<User | null> {
    const r = this.read(() => this.st('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined);
    return r ? toUser(r) : null;
  }

  async countUsers(): Promise<number> {
    return this.read(() => (this.st('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n);
  }

  async addToken(userId: string, tokenHash: string, now: number): Promise<void> {
    await this.durably(() => this.st('INSERT INTO tokens (hash, user_id, created_at) VALUES (?, ?, ?)').run(tokenHash, userId, now));
  }

  async revokeTokens(userId: string, now: number): Promise<number> {
    return this.durably(() => this.st('UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(now, userId).changes);
  }

  async findUserByTokenHash(tokenHash: string): Promise<User | null> {
    const r = this.read(
      () =>
        this.st('SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.revoked_at IS NULL').get(tokenHash) as
          | UserRow
          | undefined,
    );
    return r ? toUser(r) : null;
  }

  async createVideo(v: NewVideo, maxOpenSessions: number | null = null): Promise<{ video: VideoRecord; created: boolean }> {
    const existing = () => this.st('SELECT * FROM videos WHERE user_id = ? AND recording_id = ?').get(v.userId, v.recordingId) as VideoRow | undefined;
    const created = await this.durably(() => {
      if (existing()) return false;
      if (maxOpenSessions !== null) {
        const open = (this.st("SELECT COUNT(*) AS n FROM videos WHERE user_id = ? AND state = 'open'").get(v.userId) as { n: number }).n;
        if (open >= maxOpenSessions) throw new ApiError('too_many_open_sessions', { limit: maxOpenSessions });
      }
      this.st(
        `INSERT INTO videos (id, user_id, recording_id, share_id, title, mime_type, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
      ).run(v.id, v.userId, v.recordingId, v.shareId, v.title, v.mimeType, v.now, v.now);
      return true;
    });
    return { video: toVideo(this.read(existing)!), created };
  }

  async getVideo(id: string): Promise<VideoRecord | null> {
    const r = this.read(() => this.st('SELECT * FROM videos WHERE id = ?').get(id) as VideoRow | undefined);
    return r ? toVideo(r) : null;
  }

  async getVideoByShareId(shareId: string): Promise<VideoRecord | null> {
    const r = this.read(() => this.st('SELECT * FROM videos WHERE share_id = ?').get(shareId) as VideoRow | undefined);
    return r ? toVideo(r) : null;
  }

  async listVideos(userId: string, page?: { limit: number; after?: VideoCursor | null }): Promise<VideoRecord[]> {
    const limit = page?.limit ?? -1;
    const after = page?.after;
    // Keyset pagination on the (user_id, created_at DESC, id DESC) index: each page costs the
    // same however deep it is, and a video added meanwhile never shifts a page.
    const rows = this.read(() =>
      after
        ? (this.st(
            `SELECT * FROM videos WHERE user_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
             ORDER BY created_at DESC, id DESC LIMIT ?`,
          ).all(userId, after.createdAt, after.createdAt, after.id, limit) as VideoRow[])
        : (this.st('SELECT * FROM videos WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(userId, limit) as VideoRow[]),
    );
    return rows.map(toVideo);
  }

  async usage(userId: string): Promise<Usage> {
    const r = this.read(
      () =>
        this.st("SELECT COALESCE(SUM(stored_bytes), 0) AS bytes, COALESCE(SUM(state = 'open'), 0) AS open FROM videos WHERE user_id = ?").get(
          userId,
        ) as { bytes: number; open: number },
    );
    return { bytes: r.bytes, openSessions: r.open };
  }

  async listIdleOpenVideos(updatedBefore: number, createdBefore = Number.MIN_SAFE_INTEGER): Promise<VideoRecord[]> {
    const rows = this.read(
      () => this.st("SELECT * FROM videos WHERE state = 'open' AND (updated_at < ? OR created_at < ?)").all(updatedBefore, createdBefore) as VideoRow[],
    );
    return rows.map(toVideo);
  }

  async listVideosByState(state: VideoStateName): Promise<VideoRecord[]> {
    return this.read(() => this.st('SELECT * FROM videos WHERE state = ?').all(state) as VideoRow[]).map(toVideo);
  }

  async allVideoIds(): Promise<string[]> {
    return this.read(() => this.st('SELECT id FROM videos').all() as { id: string }[]).map((r) => r.id);
  }

  /** Not flushed before it resolves: an activity stamp a power loss may set back a little. */
  async touchVideo(id: string, now: number): Promise<void> {
    this.soon(() => this.st('UPDATE videos SET updated_at = MAX(updated_at, ?) WHERE id = ?').run(now, id));
  }

  async setTotalChunks(id: string, total: number, now: number): Promise<void> {
    await this.durably(() => this.st('UPDATE videos SET total_chunks = ?, updated_at = MAX(updated_at, ?) WHERE id = ?').run(total, now, id));
  }

  async setAssembled(id: string, assembledChunks: number, assembledBytes: number, now: number): Promise<void> {
    this.soon(() =>
      this.st('UPDATE videos SET assembled_chunks = ?, assembled_bytes = ?, updated_at = MAX(updated_at, ?) WHERE id = ?').run(
        assembledChunks,
        assembledBytes,
        now,
        id,
      ),
    );
  }

  async completeVideo(id: string, c: Completion): Promise<void> {
    await this.durably(() => this.complete(id, c, null));
  }

  /** Records a completion; with `expectChunks`, only if still open with that prefix. */
  private complete(id: string, c: Completion, expectChunks: number | null): boolean {
    const cas = expectChunks === null ? '' : " AND state = 'open' AND assembled_chunks = ?";
    const params = [c.sha256, c.chunksDigest ?? null, c.partial ? 1 : 0, JSON.stringify(c.gaps), c.now, c.assembledChunks, c.assembledBytes, c.now, id];
    return (
      this.st(
        `UPDATE videos SET state = 'complete', sha256 = ?, chunks_digest = ?, partial = ?, gaps = ?, completed_at = ?,
         assembled_chunks = ?, assembled_bytes = ?, updated_at = MAX(updated_at, ?) WHERE id = ?${cas}`,
      ).run(...params, ...(expectChunks === null ? [] : [expectChunks])).changes === 1
    );
  }

  async expireVideo(id: string, now: number): Promise<void> {
    // The upload id stays: the sweeper aborts the output with it after expiring the video.
    await this.durably(() => {
      this.st('DELETE FROM chunks WHERE video_id = ?').run(id);
      this.st('DELETE FROM segments WHERE video_id = ?').run(id);
      this.st(
        "UPDATE videos SET state = 'expired', assembled_chunks = 0, assembled_bytes = 0, output_segments = 0, stored_bytes = 0, updated_at = ? WHERE id = ?",
      ).run(now, id);
    });
  }

  async deleteVideo(id: string): Promise<void> {
    await this.durably(() => {
      this.st('DELETE FROM chunks WHERE video_id = ?').run(id);
      this.st('DELETE FROM segments WHERE video_id = ?').run(id);
      this.st('DELETE FROM videos WHERE id = ?').run(id);
    });
  }

  async getChunk(videoId: string, index: number): Promise<ChunkRecord | null> {
    const r = this.read(() => this.st('SELECT idx, size, sha256 FROM chunks WHERE video_id = ? AND idx = ?').get(videoId, index) as ChunkRow | undefined);
    return r ? toChunk(r) : null;
  }

  /**
   * Inserts a chunk row and counts its bytes on the video, refusing (by throwing, which rolls the
   * transaction back) when that takes the video or its user over a limit. Runs inside a
   * transaction. False when the row was already there.
   */
  private addChunk(videoId: string, chunk: ChunkRecord, limits: ByteLimits | undefined): boolean {
    const info = this.st('INSERT INTO chunks (video_id, idx, size, sha256) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(
      videoId,
      chunk.index,
      chunk.size,
      chunk.sha256,
    );
    if (info.changes !== 1) return false;
    this.st('UPDATE videos SET stored_bytes = stored_bytes + ? WHERE id = ?').run(chunk.size, videoId);
    if (limits?.recordingBytes != null) {
      const v = this.st('SELECT stored_bytes AS n FROM videos WHERE id = ?').get(videoId) as { n: number };
      if (v.n > limits.recordingBytes) throw new ApiError('recording_too_large', { limitBytes: limits.recordingBytes });
    }
    if (limits?.userBytes != null) {
      const u = this.st('SELECT COALESCE(SUM(stored_bytes), 0) AS n FROM videos WHERE user_id = (SELECT user_id FROM videos WHERE id = ?)').get(
        videoId,
      ) as { n: number };
      if (u.n > limits.userBytes) throw new ApiError('user_quota_exceeded', { limitBytes: limits.userBytes });
    }
    return true;
  }

  async insertChunk(videoId: string, chunk: ChunkRecord, now: number, limits?: ByteLimits): Promise<boolean> {
    return this.durablyIf(() => {
      if (!this.addChunk(videoId, chunk, limits)) return false;
      this.st('UPDATE videos SET updated_at = MAX(updated_at, ?) WHERE id = ?').run(now, videoId);
      return true;
    });
  }

  async insertAssembledChunk(videoId: string, chunk: ChunkRecord, assembledBytes: number, now: number, limits?: ByteLimits): Promise<boolean> {
    return this.soon(() => {
      if (!this.addChunk(videoId, chunk, limits)) return false;
      this.st('UPDATE videos SET assembled_chunks = ?, assembled_bytes = ?, updated_at = MAX(updated_at, ?) WHERE id = ?').run(
        chunk.index + 1,
        assembledBytes,
        now,
        videoId,
      );
      return true;
    });
  }

  async chunkSummary(videoId: string): Promise<{ count: number; highest: number }> {
    const row = this.read(() => this.st('SELECT COUNT(*) AS n, MAX(idx) AS hi FROM chunks WHERE video_id = ?').get(videoId) as { n: number; hi: number | null });
    return { count: row.n, highest: row.hi ?? -1 };
  }

  async listChunks(videoId: string): Promise<ChunkRecord[]> {
    return this.read(() => this.st('SELECT idx, size, sha256 FROM chunks WHERE video_id = ? ORDER BY idx').all(videoId) as ChunkRow[]).map(toChunk);
  }

  async deleteChunk(videoId: string, index: number): Promise<void> {
    await this.durably(() => {
      const gone = this.st('DELETE FROM chunks WHERE video_id = ? AND idx = ? RETURNING size').get(videoId, index) as { size: number } | undefined;
      if (gone) this.st('UPDATE videos SET stored_bytes = stored_bytes - ? WHERE id = ?').run(gone.size, videoId);
    });
  }

  async setMediaLayout(id: string, m: MediaLayout): Promise<void> {
    await this.durably(() =>
      this.st('UPDATE videos SET duration_ms = ?, seekable = ?, head_length = ?, head_replaces = ? WHERE id = ?').run(
        m.durationMs,
        m.seekable ? 1 : 0,
        m.servedHead?.length ?? null,
        m.servedHead?.replaces ?? null,
        id,
      ),
    );
  }

  async setFileSha256(id: string, sha256: string): Promise<void> {
    await this.durably(() => this.st('UPDATE videos SET file_sha256 = ? WHERE id = ?').run(sha256, id));
  }

  async setPosterAt(id: string, now: number): Promise<void> {
    await this.durably(() => this.st('UPDATE videos SET poster_at = ?, updated_at = MAX(updated_at, ?) WHERE id = ?').run(now, now, id));
  }

  async renameVideo(id: string, title: string, now: number): Promise<void> {
    await this.durably(() => this.st('UPDATE videos SET title = ?, updated_at = MAX(updated_at, ?) WHERE id = ?').run(title, now, id));
  }

  // OutputLedger (ports.ts): each method one transaction, a compare-and-set where it says so.

  async setOutputHandle(videoId: string, uploadId: string): Promise<boolean> {
    return this.durablyIf(
      () =>
        this.st("UPDATE videos SET output_upload_id = ? WHERE id = ? AND state = 'open' AND output_upload_id IS NULL").run(uploadId, videoId).changes ===
        1,
    );
  }

  async recordSegment(
    videoId: string,
    seg: SegmentReceipt,
    expectChunks: number,
    now: number,
    chunk?: { index: number; size: number; sha256: string; limits?: ByteLimits },
  ): Promise<boolean> {
    return this.durablyIf(() => {
      const moved = this.st(
        `UPDATE videos SET assembled_chunks = ?, assembled_bytes = ?, output_segments = output_segments + 1, updated_at = MAX(updated_at, ?)
         WHERE id = ? AND state = 'open' AND assembled_chunks = ?`,
      ).run(seg.end, seg.offset + seg.bytes, now, videoId, expectChunks);
      if (moved.changes !== 1) return false;
      if (chunk && !this.addChunk(videoId, { index: chunk.index, size: chunk.size, sha256: chunk.sha256 }, chunk.limits)) throw UNDO;
      if (seg.etag !== null) {
        this.st('INSERT INTO segments (video_id, number, "first", "end", "offset", bytes, etag) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
          videoId,
          seg.number,
          seg.first,
          seg.end,
          seg.offset,
          seg.bytes,
          seg.etag,
        );
      }
      return true;
    });
  }

  async listSegments(videoId: string): Promise<SegmentReceipt[]> {
    return this.read(() => this.st(`SELECT ${SEGMENT_COLUMNS} FROM segments WHERE video_id = ? ORDER BY number`).all(videoId) as SegmentRow[]);
  }

  async completeIf(videoId: string, expectChunks: number, c: Completion & { chunksDigest: string }): Promise<boolean> {
    return this.durablyIf(() => this.complete(videoId, c, expectChunks));
  }

  async setRecordedSha256(videoId: string, sha256: string): Promise<void> {
    await this.durably(() => this.st('UPDATE videos SET sha256 = ? WHERE id = ? AND sha256 IS NULL').run(sha256, videoId));
  }

  async listCompletedPending(limit: number): Promise<string[]> {
    // The WHERE of the partial index videos_after_pending (migration 4), verbatim.
    const rows = this.read(
      () =>
        this.st(
          `SELECT id FROM videos WHERE state = 'complete' AND (sha256 IS NULL OR seekable IS NULL OR file_sha256 IS NULL)
           ORDER BY completed_at, id LIMIT ?`,
        ).all(limit) as { id: string }[],
    );
    return rows.map((r) => r.id);
  }
}
