/**
 * Numbered schema migrations for the PostgreSQL metadata store, the same steps as the SQLite
 * store's (sqlite-migrations.ts) in PostgreSQL's types. Each runs once, in order, with its row
 * in `schema_migrations`; one run is one transaction (PostgreSQL's DDL is transactional), so a
 * failed step leaves the schema as it was. Never edit a shipped step, add one.
 *
 * Several API nodes may start at once against an empty database: the whole run holds a
 * transaction-scoped advisory lock, so one node migrates and the others then find nothing to do.
 */
import type pg from 'pg';

/** Arbitrary constant: the advisory-lock key that serialises migration runs. */
const MIGRATION_LOCK_KEY = 7_260_214_001;

export const PG_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        created_at bigint NOT NULL
      );
      CREATE TABLE tokens (
        hash text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at bigint NOT NULL,
        revoked_at bigint
      );
      CREATE INDEX tokens_user ON tokens(user_id);
      CREATE TABLE videos (
        -- Insertion order: breaks created_at ties in listings as SQLite's rowid does.
        seq bigint GENERATED ALWAYS AS IDENTITY,
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        recording_id text NOT NULL,
        share_id text NOT NULL UNIQUE,
        title text,
        mime_type text NOT NULL,
        state text NOT NULL CHECK (state IN ('open', 'complete', 'expired')),
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL,
        completed_at bigint,
        total_chunks integer,
        assembled_chunks integer NOT NULL DEFAULT 0,
        assembled_bytes bigint NOT NULL DEFAULT 0,
        sha256 text,
        partial boolean NOT NULL DEFAULT false,
        gaps integer[] NOT NULL DEFAULT '{}',
        UNIQUE (user_id, recording_id)
      );
      CREATE INDEX videos_user_created ON videos(user_id, created_at DESC, seq DESC);
      CREATE INDEX videos_state_updated ON videos(state, updated_at);
      CREATE TABLE chunks (
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        idx integer NOT NULL,
        size integer NOT NULL,
        sha256 text NOT NULL,
        PRIMARY KEY (video_id, idx)
      );
    `,
  },
  {
    // Quotas and bounded answers, as SQLite's step 2: each video counts its verified chunk bytes
    // (a user's usage is a sum over their videos, not over every chunk row); gaps become inclusive
    // index ranges ([[0, 100000]] instead of 100001 numbers), in jsonb so they read back as the
    // port's [[start, end], …] with no conversion; the list pages by (created_at, id) like SQLite, so `seq` goes. Ids compare bytewise
    // (COLLATE "C", SQLite's BINARY) whatever the database's locale, so a cursor means the same
    // on both engines. A column is added and swapped rather than retyped because ALTER … TYPE
    // … USING cannot hold the subquery that folds the runs.
    version: 2,
    sql: `
      ALTER TABLE videos ADD COLUMN stored_bytes bigint NOT NULL DEFAULT 0;
      UPDATE videos v SET stored_bytes = s.n
        FROM (SELECT video_id, sum(size) AS n FROM chunks GROUP BY video_id) s
        WHERE s.video_id = v.id;
      ALTER TABLE videos ADD COLUMN gap_ranges jsonb NOT NULL DEFAULT '[]';
      UPDATE videos v SET gap_ranges = (
        SELECT jsonb_agg(jsonb_build_array(r.s, r.e) ORDER BY r.s) FROM (
          SELECT min(g) AS s, max(g) AS e FROM (
            SELECT g, g - row_number() OVER (ORDER BY g) AS run FROM (SELECT DISTINCT unnest(v.gaps) AS g) d
          ) n GROUP BY run
        ) r
      ) WHERE cardinality(v.gaps) > 0;
      ALTER TABLE videos DROP COLUMN gaps;
      ALTER TABLE videos RENAME COLUMN gap_ranges TO gaps;
      DROP INDEX videos_user_created;
      ALTER TABLE videos DROP COLUMN seq;
      CREATE INDEX videos_user_page ON videos (user_id, created_at DESC, id COLLATE "C" DESC);
      CREATE INDEX videos_state_created ON videos (state, created_at);
    `,
  },
  {
    // Seekable WebM, served digest, poster (SQLite's step 3).
    version: 3,
    sql: `
      ALTER TABLE videos
        ADD COLUMN duration_ms bigint,
        ADD COLUMN seekable boolean,
        ADD COLUMN head_length bigint,
        ADD COLUMN head_replaces bigint,
        ADD COLUMN file_sha256 text,
        ADD COLUMN poster_at bigint;
    `,
  },
  {
    // The output ledger, as SQLite's step 4: the prefix counts segments; the S3 multipart upload
    // id and the part receipts (ETags) live here, never read back from the store (tusd#204); the
    // chunks digest is recorded at completion. Earlier videos were written one segment per chunk;
    // a complete video served as recorded already has its served digest. The partial index
    // serves listCompletedPending, whose query repeats its WHERE (ids ordered bytewise, as SQLite).
    version: 4,
    sql: `
      ALTER TABLE videos
        ADD COLUMN output_segments integer NOT NULL DEFAULT 0,
        ADD COLUMN output_upload_id text,
        ADD COLUMN chunks_digest text;
      UPDATE videos SET output_segments = assembled_chunks WHERE state <> 'expired' AND assembled_chunks <> 0;
      UPDATE videos SET file_sha256 = sha256 WHERE state = 'complete' AND seekable = false AND file_sha256 IS NULL;
      CREATE TABLE segments (
        video_id text NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
        number integer NOT NULL,
        "first" integer NOT NULL,
        "end" integer NOT NULL,
        "offset" bigint NOT NULL,
        bytes bigint NOT NULL,
        etag text NOT NULL,
        PRIMARY KEY (video_id, number)
      );
      CREATE INDEX videos_after_pending ON videos (completed_at, id COLLATE "C")
        WHERE state = 'complete' AND (sha256 IS NULL OR seekable IS NULL OR file_sha256 IS NULL);
    `,
  },
  {
    // Pending chunk bytes on PostgreSQL (pg-chunk-objects.ts): S3 cannot append, so a chunk that
    // does not yet complete a ≥ 5 MiB part waits here instead of as its own object that would be
    // read back and uploaded again (2× the bytes sent to S3). No SQLite step: the embedded pair
    // keeps chunks as files. No foreign key to videos: a late put after the video was deleted
    // must not fail; deleteAll and the expiry sweeper remove such rows. Storage EXTERNAL: out of
    // line, never pglz-compressed (video does not compress). Measured on random 625 KB chunks it
    // changes nothing (pglz gives up after the first KiB; WAL 1.07× and table 1.04× the bytes
    // either way); it only spares the CPU of compressing bytes that happen to compress.
    version: 5,
    sql: `
      CREATE TABLE chunk_bytes (
        video_id text NOT NULL,
        idx integer NOT NULL,
        sha256 text NOT NULL,
        bytes bytea NOT NULL,
        PRIMARY KEY (video_id, idx, sha256)
      );
      ALTER TABLE chunk_bytes ALTER COLUMN bytes SET STORAGE EXTERNAL;
    `,
  },
];

/** Applies the missing migrations; returns how many ran. */
export async function migratePg(client: pg.ClientBase): Promise<number> {
  let ran = 0;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const m of PG_MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [m.version, Date.now()]);
      ran++;
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return ran;
}
