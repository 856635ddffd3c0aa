/**
 * MetadataRepo on SQLite via better-sqlite3@12 (v13 needs Node 22). WAL lets the CLI and test
 * helpers open the same file while the server runs; busy_timeout makes them wait instead of
 * failing on a momentary write lock.
 *
 * Durability: docs/API.md "Durability and recovery" tells which writes may be lost to a power
 * cut and how recovery re-adopts them. Here: better-sqlite3 commits on the event loop, so a WAL
 * fsync per commit would stall every request; the connection runs `synchronous = NORMAL`, used
 * as such only by the two per-chunk hot-path writes (`insertAssembledChunk`, `setAssembled`).
 * Every other write is made durable before its promise resolves (`durably`): the commit, then an
 * fdatasync of the `-wal` file on the libuv threadpool — what `synchronous = FULL` would do at
 * commit, but off the event loop. It also flushes every earlier NORMAL commit (the WAL is one
 * sequential log). Statements are prepared once and cached (`st`).
 *
 * A NORMAL commit also schedules a background flush of the WAL within WAL_FLUSH_DELAY_MS. Without
 * it, the durable commit of finalize paid for every chunk commit since the last one — a flush
 * that grew with the recording (stop-to-link p50 7.5 ms after 1,800 back-to-back chunks against
 * 2.8 ms after 30); now it pays for at most that delay's worth, and a power loss can drop at most
 * that much of what the journal must otherwise re-adopt.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ApiError } from '../../shared/errors.ts';
import type { IndexRange } from '../../shared/ranges.ts';
import { migrate } from './sqlite-migrations.ts';
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

/** How long NORMAL commits may wait for their background WAL flush. */
const WAL_FLUSH_DELAY_MS = 200;

interface VideoRow {
  id: string;
  user_id: string;
  recording_id: string;
  share_id: string;
  title: string | null;
  mime_type: string;
  state: VideoStateName;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  total_chunks: number | null;
  assembled_chunks: number;
  assembled_bytes: number;
  sha256: string | null;
  partial: number;
  gaps: string;
  duration_ms: number | null;
  seekable: number | null;
  head_length: number | null;
  head_replaces: number | null;
  file_sha256: string | null;
  poster_at: number | null;
  stored_bytes: number;
}

function toVideo(r: VideoRow): VideoRecord {
  return {
    id: r.id,
    userId: r.user_id,
    recordingId: r.recording_id,
    shareId: r.share_id,
    title: r.title,
    mimeType: r.mime_type,
    state: r.state,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    completedAt: r.completed_at,
    totalChunks: r.total_chunks,
    assembledChunks: r.assembled_chunks,
    assembledBytes: r.assembled_bytes,
    sha256: r.sha256,
    partial: r.partial === 1,
    gaps: JSON.parse(r.gaps) as IndexRange[],
    storedBytes: r.stored_bytes,
    durationMs: r.duration_ms,
    seekable: r.seekable === null ? null : r.seekable === 1,
    servedHead: r.head_length === null || r.head_replaces === null ? null : { length: r.head_length, replaces: r.head_replaces },
    fileSha256: r.file_sha256,
    posterAt: r.poster_at,
  };
}

interface UserRow {
  id: string;
  name: string;
  created_at: number;
}

const toUser = (r: UserRow): User => ({ id: r.id, name: r.name, createdAt: r.created_at });

export class SqliteMetadataRepo implements MetadataRepo {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** The WAL file, opened on first use, only to flush it. */
  private wal: Promise<FileHandle> | null = null;
  /** A background flush of NORMAL commits is scheduled. */
  private flushTimer: NodeJS.Timeout | null = null;

  /** `file` may be ':memory:' (tests). */
  constructor(private readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
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

  /** Runs `fn` as one transaction and resolves once its commit is on stable storage (header). */
  private async durably<T>(fn: () => T): Promise<T> {
    const result = this.db.transaction(fn)();
    await this.flushWal();
    return result;
  }

  /**
   * fsync(2) acts on the file, not the descriptor: flushing our own handle of the WAL makes every
   * frame SQLite wrote to it so far durable. The server's connection keeps the WAL in place
   * (it is removed only when the last connection closes), so the handle stays valid.
   */
  private async flushWal(): Promise<void> {
    if (this.file === ':memory:') return;
    this.wal ??= open(`${this.file}-wal`, 'r');
    try {
      await (await this.wal).datasync();
    } catch (err) {
      this.wal = null;
      throw err;
    }
  }

  /** After a NORMAL commit: flush the WAL soon, off the event loop, once for many commits. */
  private flushSoon(): void {
    if (this.flushTimer || this.file === ':memory:') return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      // A failure here is not lost: the next durable write flushes (and reports) again.
      this.flushWal().catch(() => {});
    }, WAL_FLUSH_DELAY_MS);
    this.flushTimer.unref();
  }

  async close(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const wal = this.wal;
    this.wal = null;
    if (wal) await wal.then((h) => h.close()).catch(() => {});
    if (this.db.open) this.db.close();
  }

  async createUser(id: string, name: string, now: number): Promise<User> {
    await this.durably(() => this.st('INSERT INTO users (id, name, created_at) VALUES (?, ?, ?)').run(id, name, now));
    return { id, name, createdAt: now };
  }

  async findUserByName(name: string): Promise<User | null> {
    const r = this.st('SELECT * FROM users WHERE name = ?').get(name) as UserRow | undefined;
    return r ? toUser(r) : null;
  }

  async countUsers(): Promise<number> {
    return (this.st('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  async addToken(userId: string, tokenHash: string, now: number): Promise<void> {
    await this.durably(() => this.st('INSERT INTO tokens (hash, user_id, created_at) VALUES (?, ?, ?)').run(tokenHash, userId, now));
  }

  async revokeTokens(userId: string, now: number): Promise<number> {
    return this.durably(
      () => this.st('UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(now, userId).changes,
    );
  }

  async findUserByTokenHash(tokenHash: string): Promise<User | null> {
    const r = this.st('SELECT u.* FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = ? AND t.revoked_at IS NULL')
      .get(tokenHash) as UserRow | undefined;
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
    return { video: toVideo(existing()!), created };
  }

  async getVideo(id: string): Promise<VideoRecord | null> {
    const r = this.st('SELECT * FROM videos WHERE id = ?').get(id) as VideoRow | undefined;
    return r ? toVideo(r) : null;
  }

  async getVideoByShareId(shareId: string): Promise<VideoRecord | null> {
    const r = this.st('SELECT * FROM videos WHERE share_id = ?').get(shareId) as VideoRow | undefined;
    return r ? toVideo(r) : null;
  }

  async listVideos(userId: string, page?: { limit: number; after?: VideoCursor | null }): Promise<VideoRecord[]> {
    const limit = page?.limit ?? -1;
    const after = page?.after;
    // Keyset pagination on the (user_id, created_at DESC, id DESC) index: each page costs the
    // same however deep it is, and a video added meanwhile never shifts a page.
    const rows = after
      ? (this.st(
          `SELECT * FROM videos WHERE user_id = ? AND (created_at < ? OR (created_at = ? AND id < ?))
           ORDER BY created_at DESC, id DESC LIMIT ?`,
        ).all(userId, after.createdAt, after.createdAt, after.id, limit) as VideoRow[])
      : (this.st('SELECT * FROM videos WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?').all(userId, limit) as VideoRow[]);
    return rows.map(toVideo);
  }

  async usage(userId: string): Promise<Usage> {
    const r = this.st(
      "SELECT COALESCE(SUM(stored_bytes), 0) AS bytes, COALESCE(SUM(state = 'open'), 0) AS open FROM videos WHERE user_id = ?",
    ).get(userId) as { bytes: number; open: number };
    return { bytes: r.bytes, openSessions: r.open };
  }

  async listIdleOpenVideos(updatedBefore: number, createdBefore = Number.MIN_SAFE_INTEGER): Promise<VideoRecord[]> {
    const rows = this.st("SELECT * FROM videos WHERE state = 'open' AND (updated_at < ? OR created_at < ?)")
      .all(updatedBefore, createdBefore) as VideoRow[];
    return rows.map(toVideo);
  }

  async listVideosByState(state: VideoStateName): Promise<VideoRecord[]> {
    return (this.st('SELECT * FROM videos WHERE state = ?').all(state) as VideoRow[]).map(toVideo);
  }

  async allVideoIds(): Promise<string[]> {
    return (this.st('SELECT id FROM videos').all() as { id: string }[]).map((r) => r.id);
  }

  async touchVideo(id: string, now: number): Promise<void> {
    this.st('UPDATE videos SET updated_at = MAX(updated_at, ?) WHERE id = ?').run(now, id);
  }

  async setTotalChunks(id: string, total: number, now: number): Promise<void> {
    await this.durably(() => this.st('UPDATE videos SET total_chunks = ?, updated_at = MAX(updated_at, ?) WHERE id = ?').run(total, now, id));
  }

  async setAssembled(id: string, assembledChunks: number, assembledBytes: number, now: number): Promise<void> {
    this.st('UPDATE videos SET assembled_chunks = ?, assembled_bytes = ?, updated_at = MAX(updated_at, ?) WHERE id = ?')
      .run(assembledChunks, assembledBytes, now, id);
    this.flushSoon();
  }

  async completeVideo(id: string, c: Completion): Promise<void> {
    await this.durably(() =>
      this.st(
        `UPDATE videos SET state = 'complete', sha256 = ?, partial = ?, gaps = ?, completed_at = ?,
         assembled_chunks = ?, assembled_bytes = ?, updated_at = MAX(updated_at, ?) WHERE id = ?`,
      ).run(c.sha256, c.partial ? 1 : 0, JSON.stringify(c.gaps), c.now, c.assembledChunks, c.assembledBytes, c.now, id),
    );
  }

  async expireVideo(id: string, now: number): Promise<void> {
    await this.durably(() => {
      this.st('DELETE FROM chunks WHERE video_id = ?').run(id);
      this.st("UPDATE videos SET state = 'expired', assembled_chunks = 0, assembled_bytes = 0, stored_bytes = 0, updated_at = ? WHERE id = ?")
        .run(now, id);
    });
  }

  async deleteVideo(id: string): Promise<void> {
    await this.durably(() => {
      this.st('DELETE FROM chunks WHERE video_id = ?').run(id);
      this.st('DELETE FROM videos WHERE id = ?').run(id);
    });
  }

  async getChunk(videoId: string, index: number): Promise<ChunkRecord | null> {
    const r = this.st('SELECT idx, size, sha256 FROM chunks WHERE video_id = ? AND idx = ?').get(videoId, index) as
      | { idx: number; size: number; sha256: string }
      | undefined;
    return r ? { index: r.idx, size: r.size, sha256: r.sha256 } : null;
  }

  /**
   * Inserts a chunk row and counts its bytes on the video, refusing (by throwing, which rolls the
   * transaction back) when that takes the video or its user over a limit. Runs inside a
   * transaction. False when the row was already there.
   */
  private addChunk(videoId: string, chunk: ChunkRecord, limits: ByteLimits | undefined): boolean {
    const info = this.st('INSERT INTO chunks (video_id, idx, size, sha256) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(videoId, chunk.index, chunk.size, chunk.sha256);
    if (info.changes !== 1) return false;
    this.st('UPDATE videos SET stored_bytes = stored_bytes + ? WHERE id = ?').run(chunk.size, videoId);
    if (limits?.recordingBytes != null) {
      const v = this.st('SELECT stored_bytes AS n FROM videos WHERE id = ?').get(videoId) as { n: number };
      if (v.n > limits.recordingBytes) throw new ApiError('recording_too_large', { limitBytes: limits.recordingBytes });
    }
    if (limits?.userBytes != null) {
      const u = this.st(
        'SELECT COALESCE(SUM(stored_bytes), 0) AS n FROM videos WHERE user_id = (SELECT user_id FROM videos WHERE id = ?)',
      ).get(videoId) as { n: number };
      if (u.n > limits.userBytes) throw new ApiError('user_quota_exceeded', { limitBytes: limits.userBytes });
    }
    return true;
  }

  async insertChunk(videoId: string, chunk: ChunkRecord, now: number, limits?: ByteLimits): Promise<boolean> {
    return this.durably(() => {
      if (!this.addChunk(videoId, chunk, limits)) return false;
      this.st('UPDATE videos SET updated_at = MAX(updated_at, ?) WHERE id = ?').run(now, videoId);
      return true;
    });
  }

  async insertAssembledChunk(videoId: string, chunk: ChunkRecord, assembledBytes: number, now: number, limits?: ByteLimits): Promise<boolean> {
    this.flushSoon();
    return this.db.transaction(() => {
      if (!this.addChunk(videoId, chunk, limits)) return false;
      this.st('UPDATE videos SET assembled_chunks = ?, assembled_bytes = ?, updated_at = MAX(updated_at, ?) WHERE id = ?')
        .run(chunk.index + 1, assembledBytes, now, videoId);
      return true;
    })();
  }

  async chunkSummary(videoId: string): Promise<{ count: number; highest: number }> {
    const row = this.st('SELECT COUNT(*) AS n, MAX(idx) AS hi FROM chunks WHERE video_id = ?').get(videoId) as { n: number; hi: number | null };
    return { count: row.n, highest: row.hi ?? -1 };
  }

  async listChunks(videoId: string): Promise<ChunkRecord[]> {
    const rows = this.st('SELECT idx, size, sha256 FROM chunks WHERE video_id = ? ORDER BY idx').all(videoId) as {
      idx: number;
      size: number;
      sha256: string;
    }[];
    return rows.map((r) => ({ index: r.idx, size: r.size, sha256: r.sha256 }));
  }

  async deleteChunk(videoId: string, index: number): Promise<void> {
    await this.durably(() => {
      const gone = this.st('DELETE FROM chunks WHERE video_id = ? AND idx = ? RETURNING size').get(videoId, index) as { size: number } | undefined;
      if (gone) this.st('UPDATE videos SET stored_bytes = stored_bytes - ? WHERE id = ?').run(gone.size, videoId);
    });
  }

  async setMediaLayout(id: string, m: MediaLayout): Promise<void> {
    // A NORMAL commit: the durable completion that always follows flushes it (one WAL).
    this.st('UPDATE videos SET duration_ms = ?, seekable = ?, head_length = ?, head_replaces = ? WHERE id = ?')
      .run(m.durationMs, m.seekable ? 1 : 0, m.servedHead?.length ?? null, m.servedHead?.replaces ?? null, id);
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
}
