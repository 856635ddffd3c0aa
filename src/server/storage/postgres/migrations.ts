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
