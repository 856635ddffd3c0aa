/**
 * MetadataRepo on PostgreSQL via node-postgres (`pg`), for several API nodes sharing one database.
 *
 * Durability: every write is committed with the server's `synchronous_commit` (on by default), so
 * when a promise resolves the write survives a crash of this node and of the database server.
 *
 * The output ledger's compare-and-set steps (recordSegment, completeIf, …): pg-output-ledger.ts.
 *
 * Concurrency across nodes: each chunk or video write is one statement (an implicit transaction)
 * or an explicit `transaction()`. Idempotent inserts rely on unique keys with ON CONFLICT DO
 * NOTHING: when two nodes insert the same (video, index) or (user, recordingId) at once, the
 * second waits for the first to commit and then does nothing, so exactly one row exists and
 * exactly one caller sees `true`/`created`.
 *
 * Limits (quotas, open sessions) and the lock order that keeps nodes from deadlocking: pg-limits.ts.
 *
 * Errors are translated to the catalogue here (errors.ts), never in the HTTP layer.
 */
import pg from 'pg';
import { ApiError } from '../../../shared/errors.ts';
import { toCatalogueError } from './errors.ts';
import { migratePg } from './migrations.ts';
import { INSERT_CHUNK, LOCK_USER, LOCK_USER_OF_VIDEO, refusal, type ChunkTotals } from './pg-limits.ts';
import { ForwardsToLedger } from '../ledger-forwarding.ts';
import { PgOutputLedger, type Run } from './pg-output-ledger.ts';
import { toUser, toVideo, types, VIDEO_COLUMNS, type UserRow, type VideoRow } from './pg-rows.ts';
import type { SegmentReceipt } from '../ports.ts';
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
} from '../metadata-repo.ts';

const clientRun =
  (client: pg.PoolClient): Run =>
  (sql, params) =>
    client.query(sql, params);

export interface PgMetadataRepoOptions {
  connectionString: string;
  /** Pool size per node; default 10. */
  max?: number;
  /** How long a query waits for a free connection before failing as 503; default 5 s. */
  connectionTimeoutMillis?: number;
}

export class PgMetadataRepo extends ForwardsToLedger implements MetadataRepo {
  protected readonly ledger: PgOutputLedger;

  private constructor(private readonly pool: pg.Pool) {
    super();
    this.ledger = new PgOutputLedger(this.run, (fn) => this.transaction(fn));
  }

  /** Connects, applies missing migrations and returns the repository. */
  static async open(opts: PgMetadataRepoOptions): Promise<PgMetadataRepo> {
    const pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.max ?? 10,
      connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 5_000,
      types,
    });
    // An idle client whose connection drops emits 'error' on the pool; without a listener that
    // would crash the process. The next query gets a fresh connection (or a 503 if none).
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      try {
        await migratePg(client);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw toCatalogueError(err);
    }
    return new PgMetadataRepo(pool);
  }

  private async q<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (err) {
      throw toCatalogueError(err);
    }
  }

  private readonly run: Run = (sql, params) => this.q(sql, params);

  /**
   * Runs `fn` in one READ COMMITTED transaction on one connection: all of it commits or none.
   * A connection that failed mid-transaction is destroyed rather than returned to the pool.
   */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toCatalogueError(err);
    }
    // A checked-out client whose connection drops emits 'error'; the failing query reports it.
    const ignore = () => {};
    client.on('error', ignore);
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      client.removeListener('error', ignore);
      client.release();
      return result;
    } catch (err) {
      const rolledBack = await client.query('ROLLBACK').then(() => true, () => false);
      client.removeListener('error', ignore);
      client.release(rolledBack ? undefined : (err as Error));
      throw toCatalogueError(err);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async createUser(id: string, name: string, now: number): Promise<User> {
    await this.q('INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3)', [id, name, now]);
    return { id, name, createdAt: now };
  }

  async findUserByName(name: string): Promise<User | null> {
    const { rows } = await this.q<UserRow>('SELECT id, name, created_at FROM users WHERE name = $1', [name]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  async countUsers(): Promise<number> {
    const { rows } = await this.q<{ n: number }>('SELECT count(*) AS n FROM users');
    return rows[0]!.n;
  }

  async addToken(userId: string, tokenHash: string, now: number): Promise<void> {
    await this.q('INSERT INTO tokens (hash, user_id, created_at) VALUES ($1, $2, $3)', [tokenHash, userId, now]);
  }

  async revokeTokens(userId: string, now: number): Promise<number> {
    const r = await this.q('UPDATE tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL', [now, userId]);
    return r.rowCount ?? 0;
  }

  async findUserByTokenHash(tokenHash: string): Promise<User | null> {
    const { rows } = await this.q<UserRow>(
      'SELECT u.id, u.name, u.created_at FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1 AND t.revoked_at IS NULL',
      [tokenHash],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  async createVideo(v: NewVideo, maxOpenSessions: number | null = null): Promise<{ video: VideoRecord; created: boolean }> {
    const insert = (run: Run) =>
      run<VideoRow>(
        `INSERT INTO videos (id, user_id, recording_id, share_id, title, mime_type, state, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $7) ON CONFLICT (user_id, recording_id) DO NOTHING
         RETURNING ${VIDEO_COLUMNS}`,
        [v.id, v.userId, v.recordingId, v.shareId, v.title, v.mimeType, v.now],
      );
    // A separate statement on purpose: under READ COMMITTED it sees the row that another node
    // committed while our INSERT waited on the unique key (one statement's snapshot would not).
    const existing = async (run: Run) => {
      const { rows } = await run<VideoRow>(`SELECT ${VIDEO_COLUMNS} FROM videos WHERE user_id = $1 AND recording_id = $2`, [
        v.userId,
        v.recordingId,
      ]);
      return rows[0] ? toVideo(rows[0]) : null;
    };
    const orExisting = async (run: Run, inserted: pg.QueryResult<VideoRow>) => {
      if (inserted.rows[0]) return { video: toVideo(inserted.rows[0]), created: true };
      const video = await existing(run);
      if (!video) throw new Error('createVideo: the conflicting video vanished (deleted concurrently)');
      return { video, created: false };
    };
    if (maxOpenSessions === null) return orExisting(this.run, await insert(this.run));
    return this.transaction(async (client) => {
      const run = clientRun(client);
      await run(LOCK_USER, [v.userId]);
      // The same recording again is no new session: answered, not refused.
      const found = await existing(run);
      if (found) return { video: found, created: false };
      const { rows } = await run<{ n: number }>("SELECT count(*) AS n FROM videos WHERE user_id = $1 AND state = 'open'", [v.userId]);
      if (rows[0]!.n >= maxOpenSessions) throw new ApiError('too_many_open_sessions', { limit: maxOpenSessions });
      return orExisting(run, await insert(run));
    });
  }

  async getVideo(id: string): Promise<VideoRecord | null> {
    const { rows } = await this.q<VideoRow>(`SELECT ${VIDEO_COLUMNS} FROM videos WHERE id = $1`, [id]);
    return rows[0] ? toVideo(rows[0]) : null;
  }

  async getVideoByShareId(shareId: string): Promise<VideoRecord | null> {
    const { rows } = await this.q<VideoRow>(`SELECT ${VIDEO_COLUMNS} FROM videos WHERE share_id = $1`, [shareId]);
    return rows[0] ? toVideo(rows[0]) : null;
  }

  async listVideos(userId: string, page?: { limit: number; after?: VideoCursor | null }): Promise<VideoRecord[]> {
    // Keyset pagination on videos_user_page (user_id, created_at DESC, id COLLATE "C" DESC): each
    // page costs the same however deep it is, and a video added meanwhile never shifts a page.
    // LIMIT NULL is no limit. The row comparison is what lets the index serve the `after` bound.
    const limit = page?.limit ?? null;
    const after = page?.after;
    const { rows } = after
      ? await this.q<VideoRow>(
          `SELECT ${VIDEO_COLUMNS} FROM videos WHERE user_id = $1 AND (created_at, id COLLATE "C") < ($2, $3)
           ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $4`,
          [userId, after.createdAt, after.id, limit],
        )
      : await this.q<VideoRow>(
          `SELECT ${VIDEO_COLUMNS} FROM videos WHERE user_id = $1 ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $2`,
          [userId, limit],
        );
    return rows.map(toVideo);
  }

  async usage(userId: string): Promise<Usage> {
    const { rows } = await this.q<{ bytes: number; open: number }>(
      "SELECT COALESCE(sum(stored_bytes), 0)::bigint AS bytes, count(*) FILTER (WHERE state = 'open') AS open FROM videos WHERE user_id = $1",
      [userId],
    );
    return { bytes: rows[0]!.bytes, openSessions: rows[0]!.open };
  }

  async listIdleOpenVideos(updatedBefore: number, createdBefore = Number.MIN_SAFE_INTEGER): Promise<VideoRecord[]> {
    const { rows } = await this.q<VideoRow>(
      `SELECT ${VIDEO_COLUMNS} FROM videos WHERE state = 'open' AND (updated_at < $1 OR created_at < $2)`,
      [updatedBefore, createdBefore],
    );
    return rows.map(toVideo);
  }

  async listVideosByState(state: VideoStateName): Promise<VideoRecord[]> {
    const { rows } = await this.q<VideoRow>(`SELECT ${VIDEO_COLUMNS} FROM videos WHERE state = $1`, [state]);
    return rows.map(toVideo);
  }

  async allVideoIds(): Promise<string[]> {
    const { rows } = await this.q<{ id: string }>('SELECT id FROM videos');
    return rows.map((r) => r.id);
  }

  async touchVideo(id: string, now: number): Promise<void> {
    await this.q('UPDATE videos SET updated_at = GREATEST(updated_at, $2) WHERE id = $1', [id, now]);
  }

  async setTotalChunks(id: string, total: number, now: number): Promise<void> {
    await this.q('UPDATE videos SET total_chunks = $2, updated_at = GREATEST(updated_at, $3) WHERE id = $1', [id, total, now]);
  }



  async expireVideo(id: string, now: number): Promise<void> {
    // The video row first ("Lock order" in pg-limits.ts): the UPDATE waits for a chunk write in
    // flight on another node, and the DELETE, a later statement, then sees that write's row and
    // removes it. Deleting first would miss it and leave a chunk row behind stored_bytes = 0.
    await this.transaction(async (client) => {
      await client.query(
        `UPDATE videos SET state = 'expired', assembled_chunks = 0, assembled_bytes = 0, output_segments = 0, stored_bytes = 0,
         updated_at = $2 WHERE id = $1`,
        [id, now],
      );
      await client.query('DELETE FROM chunks WHERE video_id = $1', [id]);
      // The upload id stays: the sweeper aborts the output with it after expiring the video.
      await client.query('DELETE FROM segments WHERE video_id = $1', [id]);
    });
  }

  async deleteVideo(id: string): Promise<void> {
    // chunks and segments go with it (ON DELETE CASCADE), in the same statement.
    await this.q('DELETE FROM videos WHERE id = $1', [id]);
  }

  async getChunk(videoId: string, index: number): Promise<ChunkRecord | null> {
    const { rows } = await this.q<{ idx: number; size: number; sha256: string }>(
      'SELECT idx, size, sha256 FROM chunks WHERE video_id = $1 AND idx = $2',
      [videoId, index],
    );
    return rows[0] ? { index: rows[0].idx, size: rows[0].size, sha256: rows[0].sha256 } : null;
  }

  async insertChunk(videoId: string, chunk: ChunkRecord, now: number, limits?: ByteLimits): Promise<boolean> {
    return this.addChunk(INSERT_CHUNK, [videoId, chunk.index, chunk.size, chunk.sha256, now], limits);
  }


  /**
   * Without limits: the chunk statement alone (one round trip, an implicit transaction). With
   * limits: in a transaction, after locking the user's row when the user's total is limited, so
   * that the sum the statement reads includes every write another node made under that lock;
   * a refusal throws, which rolls the chunk row and the byte count back together.
   */
  private async addChunk(sql: string, params: unknown[], limits: ByteLimits | undefined): Promise<boolean> {
    if (limits?.userBytes == null && limits?.recordingBytes == null) {
      const { rows } = await this.q<ChunkTotals>(sql, params);
      if (!rows[0]!.video_seen) throw new ApiError('not_found');
      return rows[0]!.video_bytes !== null;
    }
    return this.transaction(async (client) => {
      if (limits.userBytes != null) await client.query(LOCK_USER_OF_VIDEO, [params[0]]);
      const { rows } = await client.query<ChunkTotals>(sql, params);
      const { video_bytes: video, other_bytes: others, video_seen: seen } = rows[0]!;
      if (!seen) throw new ApiError('not_found');
      if (video === null) return false;
      const refused = refusal({ video, others: others ?? 0 }, limits);
      if (refused) throw refused;
      return true;
    });
  }

  async listChunks(videoId: string): Promise<ChunkRecord[]> {
    const { rows } = await this.q<{ idx: number; size: number; sha256: string }>(
      'SELECT idx, size, sha256 FROM chunks WHERE video_id = $1 ORDER BY idx',
      [videoId],
    );
    return rows.map((r) => ({ index: r.idx, size: r.size, sha256: r.sha256 }));
  }

  async chunkSummary(videoId: string): Promise<{ count: number; highest: number }> {
    const { rows } = await this.q<{ n: number; hi: number | null }>('SELECT count(*) AS n, max(idx) AS hi FROM chunks WHERE video_id = $1', [
      videoId,
    ]);
    return { count: rows[0]!.n, highest: rows[0]!.hi ?? -1 };
  }

  async deleteChunk(videoId: string, index: number): Promise<void> {
    // The video row first ("Lock order" in pg-limits.ts): deleting the chunk row first and then
    // waiting for the video would deadlock against deleteVideo or expireVideo on another node.
    await this.transaction(async (client) => {
      await client.query('SELECT 1 FROM videos WHERE id = $1 FOR NO KEY UPDATE', [videoId]);
      await client.query(
        `WITH gone AS (DELETE FROM chunks WHERE video_id = $1 AND idx = $2 RETURNING size)
         UPDATE videos SET stored_bytes = stored_bytes - (SELECT size FROM gone) WHERE id = $1 AND EXISTS (SELECT 1 FROM gone)`,
        [videoId, index],
      );
    });
  }

  async setMediaLayout(id: string, m: MediaLayout): Promise<void> {
    await this.q('UPDATE videos SET duration_ms = $2, seekable = $3, head_length = $4, head_replaces = $5 WHERE id = $1', [
      id,
      m.durationMs,
      m.seekable,
      m.servedHead?.length ?? null,
      m.servedHead?.replaces ?? null,
    ]);
  }

  async setFileSha256(id: string, sha256: string): Promise<void> {
    await this.q('UPDATE videos SET file_sha256 = $2 WHERE id = $1', [id, sha256]);
  }

  async setPosterAt(id: string, now: number): Promise<void> {
    await this.q('UPDATE videos SET poster_at = $2, updated_at = GREATEST(updated_at, $2) WHERE id = $1', [id, now]);
  }

  async renameVideo(id: string, title: string, now: number): Promise<void> {
    await this.q('UPDATE videos SET title = $2, updated_at = GREATEST(updated_at, $3) WHERE id = $1', [id, title, now]);
  }
}
