/**
 * MetadataRepo on SQLite. The connection, its transactions and how writes become durable:
 * sqlite-db.ts. Every write here resolves once durable, including the per-chunk ones
 * (`insertChunk`, and in sqlite-output-ledger.ts `recordSegment` and `completeIf`): no journal
 * re-adopts what a lost commit forgot. The one exception, named in its doc, is `touchVideo`.
 */
import { ApiError } from '../../shared/errors.ts';
import type {
  ByteLimits,
  ChunkRecord,
  Completion,
  InOrderChunk,
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
import { ForwardsToLedger } from './ledger-forwarding.ts';
import { SqliteDb } from './sqlite-db.ts';
import { addChunk } from './sqlite-limits.ts';
import { SqliteOutputLedger } from './sqlite-output-ledger.ts';
import { toChunk, toUser, toVideo, type ChunkRow, type UserRow, type VideoRow } from './sqlite-rows.ts';

export class SqliteMetadataRepo extends ForwardsToLedger implements MetadataRepo {
  private readonly db: SqliteDb;
  protected readonly ledger: SqliteOutputLedger;

  /**
   * `file` may be ':memory:' (tests). `busyTimeoutMs`: how long a write waits for another
   * connection's write lock before failing as 503.
   */
  constructor(file: string, opts: { busyTimeoutMs?: number } = {}) {
    super();
    this.db = new SqliteDb(file, opts);
    this.ledger = new SqliteOutputLedger(this.db);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  async createUser(id: string, name: string, now: number): Promise<User> {
    await this.db.durably(() => this.db.st('INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)').run(id, name, now));
    return { id, name, createdAt: now };
  }

  async findUserByName(name: string): Promise<User | null> {
    const r = this.db.read(() => this.db.st('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined);
    return r ? toUser(r) : null;
  }

  async countUsers(): Promise<number> {
    return this.db.read(() => (this.db.st('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n);
  }

  async addToken(userId: string, tokenHash: string, now: number): Promise<void> {
    await this.db.durably(() => this.db.st('INSERT INTO tokens (hash, user_id, created_at) VALUES (?, ?, ?)').run(tokenHash, userId, now));
  }

  async revokeTokens(userId: string, now: number): Promise<number> {
    return this.db.durably(() => this.db.st('UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(now, userId).changes);
  }

  async findUserByTokenHash(tokenHash: string): Promise<User | null> {
    const r = this.db.read(
      () =>
        this.db.st('SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.revoked_at IS NULL').get(tokenHash) as
          | UserRow
          | undefined,
    );
    return r ? toUser(r) : null;
  }

  async createVideo(v: NewVideo, maxOpenSessions: number | null = null): Promise<{ video: VideoRecord; created: boolean }> {
    const existing = () => this.db.st('SELECT * FROM videos WHERE user_id = ? AND recording_id = ?').get(v.userId, v.recordingId) as VideoRow | undefined;
    const created = await this.db.durably(() => {
      if (existing()) return false;
      if (maxOpenSessions !== null) {
        const open = (this.db.st("SELECT COUNT(*) AS n FROM videos WHERE user_id = ? AND state = 'open'").get(v.userId) as { n: number }).n;
        if (open >= maxOpenSessions) throw new ApiError('too_many_open_sessions', { limit: maxOpenSessions });
      }
      this.db.st(
        `INSERT INTO videos (id, user_id, recording_id, share_id, title, mime_type, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
      ).run(v.id, v.userId, v.recordingId, v.shareId, v.title, v.mimeType, v.now, v.now);
      return true;
    });
    return { video: toVideo(this.db.read(existing)!), created };
  }

  async getVideo(id: string): Promise<VideoRecord | null> {
    const r = this.db.read(() => this.db.st('SELECT * FROM videos WHERE id = ?').get(id) as VideoRow | undefined);
    return r ? toVideo(r) : null;
  }

  async getVideoByShareId(shareId: string): Promise<VideoRecord | null> {
    const r = this.db.read(() => this.db.st('SELECT * FROM videos WHERE share_id = ?').get(shareId) as VideoRow | undefined);
    return r ? toVideo(r) : null;
  }

  async listVideos(userId: string, page?: { limit: number; after?: VideoCursor | null }): Promise<VideoRecord[]> {
    const limit = page?.limit ?? -1;
    const after = page?.after;
    // Keyset pagination on the (user_id, created_at DESC, id DESC) index: each page costs the
    // same however deep it is, and a video added meanwhile never shifts a page.
    const rows = this.db.read(() =>
      after
        ? (this.db.st(
            `SELECT * FROM videos WHERE user_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
             ORDER BY created_at DESC, id DESC LIMIT ?`,
          ).all(userId, after.createdAt, after.createdAt, after.id, limit) as VideoRow[])
        : (this.db.st('SELECT * FROM videos WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(userId, limit) as VideoRow[]),
    );
    return rows.map(toVideo);
  }

  async usage(userId: string): Promise<Usage> {
    const r = this.db.read(
      () =>
        this.db.st("SELECT COALESCE(SUM(stored_bytes), 0) AS bytes, COALESCE(SUM(state = 'open'), 0) AS open FROM videos WHERE user_id = ?").get(
          userId,
        ) as { bytes: number; open: number },
    );
    return { bytes: r.bytes, openSessions: r.open };
  }

  async listIdleOpenVideos(updatedBefore: number, createdBefore = Number.MIN_SAFE_INTEGER): Promise<VideoRecord[]> {
    const rows = this.db.read(
      () => this.db.st("SELECT * FROM videos WHERE state = 'open' AND (updated_at < ? OR created_at < ?)").all(updatedBefore, createdBefore) as VideoRow[],
    );
    return rows.map(toVideo);
  }

  async listVideosByState(state: VideoStateName): Promise<VideoRecord[]> {
    return this.db.read(() => this.db.st('SELECT * FROM videos WHERE state = ?').all(state) as VideoRow[]).map(toVideo);
  }

  async allVideoIds(): Promise<string[]> {
    return this.db.read(() => this.db.st('SELECT id FROM videos').all() as { id: string }[]).map((r) => r.id);
  }

  /** Not flushed before it resolves: an activity stamp a power loss may set back a little. */
  async touchVideo(id: string, now: number): Promise<void> {
    this.db.soon(() => this.db.st('UPDATE videos SET updated_at = MAX(updated_at, ?) WHERE id = ?').run(now, id));
  }

  async setTotalChunks(id: string, total: number, now: number): Promise<void> {
    await this.db.durably(() => this.db.st('UPDATE videos SET total_chunks = ?, updated_at = MAX(updated_at, ?) WHERE id = ?').run(total, now, id));
  }


  async expireVideo(id: string, now: number): Promise<void> {
    // The upload id stays: the sweeper aborts the output with it after expiring the video.
    await this.db.durably(() => {
      this.db.st('DELETE FROM chunks WHERE video_id = ?').run(id);
      this.db.st('DELETE FROM segments WHERE video_id = ?').run(id);
      this.db.st(
        "UPDATE videos SET state = 'expired', assembled_chunks = 0, assembled_bytes = 0, output_segments = 0, stored_bytes = 0, updated_at = ? WHERE id = ?",
      ).run(now, id);
    });
  }

  async deleteVideo(id: string): Promise<void> {
    await this.db.durably(() => {
      this.db.st('DELETE FROM chunks WHERE video_id = ?').run(id);
      this.db.st('DELETE FROM segments WHERE video_id = ?').run(id);
      this.db.st('DELETE FROM videos WHERE id = ?').run(id);
    });
  }

  async getChunk(videoId: string, index: number): Promise<ChunkRecord | null> {
    const r = this.db.read(() => this.db.st('SELECT idx, size, sha256 FROM chunks WHERE video_id = ? AND idx = ?').get(videoId, index) as ChunkRow | undefined);
    return r ? toChunk(r) : null;
  }

  async insertChunk(videoId: string, chunk: ChunkRecord, now: number, limits?: ByteLimits): Promise<boolean> {
    return this.db.durablyIf(() => {
      if (!addChunk(this.db, videoId, chunk, limits)) return false;
      this.db.st('UPDATE videos SET updated_at = MAX(updated_at, ?) WHERE id = ?').run(now, videoId);
      return true;
    });
  }


  async chunkSummary(videoId: string): Promise<{ count: number; highest: number }> {
    const row = this.db.read(() => this.db.st('SELECT COUNT(*) AS n, MAX(idx) AS hi FROM chunks WHERE video_id = ?').get(videoId) as { n: number; hi: number | null });
    return { count: row.n, highest: row.hi ?? -1 };
  }

  async listChunks(videoId: string): Promise<ChunkRecord[]> {
    return this.db.read(() => this.db.st('SELECT idx, size, sha256 FROM chunks WHERE video_id = ? ORDER BY idx').all(videoId) as ChunkRow[]).map(toChunk);
  }

  async deleteChunk(videoId: string, index: number): Promise<void> {
    await this.db.durably(() => {
      const gone = this.db.st('DELETE FROM chunks WHERE video_id = ? AND idx = ? RETURNING size').get(videoId, index) as { size: number } | undefined;
      if (gone) this.db.st('UPDATE videos SET stored_bytes = stored_bytes - ? WHERE id = ?').run(gone.size, videoId);
    });
  }

  async setMediaLayout(id: string, m: MediaLayout): Promise<void> {
    await this.db.durably(() =>
      this.db.st('UPDATE videos SET duration_ms = ?, seekable = ?, head_length = ?, head_replaces = ? WHERE id = ?').run(
        m.durationMs,
        m.seekable ? 1 : 0,
        m.servedHead?.length ?? null,
        m.servedHead?.replaces ?? null,
        id,
      ),
    );
  }

  async setFileSha256(id: string, sha256: string): Promise<void> {
    await this.db.durably(() => this.db.st('UPDATE videos SET file_sha256 = ? WHERE id = ?').run(sha256, id));
  }

  async setPosterAt(id: string, now: number): Promise<void> {
    await this.db.durably(() => this.db.st('UPDATE videos SET poster_at = ?, updated_at = MAX(updated_at, ?) WHERE id = ?').run(now, now, id));
  }

  async renameVideo(id: string, title: string, now: number): Promise<void> {
    await this.db.durably(() => this.db.st('UPDATE videos SET title = ?, updated_at = MAX(updated_at, ?) WHERE id = ?').run(title, now, id));
  }
}
