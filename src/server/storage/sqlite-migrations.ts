/**
 * Numbered schema migrations for the SQLite metadata store. Each runs once, in order, inside a
 * transaction together with its row in `schema_migrations`; never edit a shipped step, add one.
 */
import type Database from 'better-sqlite3';

export const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE tokens (
        hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
      );
      CREATE INDEX tokens_user ON tokens(user_id);
      CREATE TABLE videos (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        recording_id TEXT NOT NULL,
        share_id TEXT NOT NULL UNIQUE,
        title TEXT,
        mime_type TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'complete', 'expired')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        completed_at INTEGER,
        total_chunks INTEGER,
        assembled_chunks INTEGER NOT NULL DEFAULT 0,
        assembled_bytes INTEGER NOT NULL DEFAULT 0,
        sha256 TEXT,
        partial INTEGER NOT NULL DEFAULT 0,
        gaps TEXT NOT NULL DEFAULT '[]',
        UNIQUE (user_id, recording_id)
      );
      CREATE INDEX videos_user_created ON videos(user_id, created_at DESC);
      CREATE INDEX videos_state_updated ON videos(state, updated_at);
      CREATE TABLE chunks (
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        PRIMARY KEY (video_id, idx)
      ) WITHOUT ROWID;
    `,
  },
  {
    // Quotas and bounded answers: each video counts its verified chunk bytes (so a user's usage
    // is a sum over their videos, not over every chunk row); gaps become inclusive index ranges
    // ([[0, 100000]] instead of 100001 numbers); the list pages by (created_at, id).
    version: 2,
    sql: `
      ALTER TABLE videos ADD COLUMN stored_bytes INTEGER NOT NULL DEFAULT 0;
      UPDATE videos SET stored_bytes = (SELECT COALESCE(SUM(size), 0) FROM chunks WHERE chunks.video_id = videos.id);
      UPDATE videos SET gaps = (
        SELECT json_group_array(json_array(s, e)) FROM (
          SELECT MIN(value) AS s, MAX(value) AS e FROM (
            SELECT value, value - ROW_NUMBER() OVER (ORDER BY value) AS g FROM json_each(videos.gaps)
          ) GROUP BY g ORDER BY s
        )
      ) WHERE gaps <> '[]';
      DROP INDEX videos_user_created;
      CREATE INDEX videos_user_page ON videos(user_id, created_at DESC, id DESC);
      CREATE INDEX videos_state_created ON videos(state, created_at);
    `,
  },
  {
    // Seekable WebM, served digest, poster.
    version: 3,
    sql: `
      ALTER TABLE videos ADD COLUMN duration_ms INTEGER;
      ALTER TABLE videos ADD COLUMN seekable INTEGER;
      ALTER TABLE videos ADD COLUMN head_length INTEGER;
      ALTER TABLE videos ADD COLUMN head_replaces INTEGER;
      ALTER TABLE videos ADD COLUMN file_sha256 TEXT;
      ALTER TABLE videos ADD COLUMN poster_at INTEGER;
    `,
  },
  {
    // The output ledger (storage/ports.ts OutputLedger): the recorded prefix counts segments, the
    // S3 multipart upload id and the part receipts (ETags) live here, never read back from the
    // store (tusd#204); the chunks digest is recorded at completion. Videos assembled before this
    // step were written one segment per chunk (the disk layout). A complete video served as
    // recorded already has its served digest: the recorded one. The partial index serves
    // listCompletedPending (metadata-repo.ts: its query repeats this WHERE verbatim, so the planner uses it).
    version: 4,
    sql: `
      ALTER TABLE videos ADD COLUMN output_segments INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE videos ADD COLUMN output_upload_id TEXT;
      ALTER TABLE videos ADD COLUMN chunks_digest TEXT;
      UPDATE videos SET output_segments = assembled_chunks WHERE state <> 'expired' AND assembled_chunks <> 0;
      UPDATE videos SET file_sha256 = sha256 WHERE state = 'complete' AND seekable = 0 AND file_sha256 IS NULL;
      CREATE TABLE segments (
        video_id TEXT NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        "first" INTEGER NOT NULL,
        "end" INTEGER NOT NULL,
        "offset" INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        etag TEXT NOT NULL,
        PRIMARY KEY (video_id, number)
      ) WITHOUT ROWID;
      CREATE INDEX videos_after_pending ON videos(completed_at, id)
        WHERE state = 'complete' AND (sha256 IS NULL OR seekable IS NULL OR file_sha256 IS NULL);
    `,
  },
];

export function migrate(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  let ran = 0;
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
    }).immediate();
    ran++;
  }
  return ran;
}
