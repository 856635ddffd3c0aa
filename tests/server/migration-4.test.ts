/**
 * Migration 4 (the output ledger) on a real step-3 database of each engine, with the same rows:
 * the prefix of videos assembled before counts one segment per chunk, a complete video served
 * as recorded gets its served digest (the recorded one), and exactly the complete videos still
 * lacking after-completion work are pending, oldest completion first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { MetadataRepo } from '../../src/server/storage/metadata-repo.ts';
import { PG_MIGRATIONS } from '../../src/server/storage/postgres/migrations.ts';
import { PgMetadataRepo } from '../../src/server/storage/postgres/pg-metadata-repo.ts';
import { SqliteMetadataRepo } from '../../src/server/storage/sqlite-metadata-repo.ts';
import { MIGRATIONS } from '../../src/server/storage/sqlite-migrations.ts';
import { usePostgres } from '../support/postgres.ts';

const { cluster } = usePostgres();

/** Valid on both engines (SQLite reads true/false as 1/0). */
const STEP_3_ROWS = [
  "INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0), (2, 0), (3, 0)",
  "INSERT INTO users (id, name, created_at) VALUES ('U1', 'ann', 1)",
  `INSERT INTO videos (id, user_id, recording_id, share_id, mime_type, state, created_at, updated_at, completed_at,
     assembled_chunks, assembled_bytes, sha256, seekable, file_sha256)
   VALUES ('VOPEN', 'U1', 'r1', 'S1', 'video/webm', 'open', 10, 10, NULL, 3, 300, NULL, NULL, NULL),
          ('VPLAIN', 'U1', 'r2', 'S2', 'video/webm', 'complete', 10, 10, 30, 2, 200, 'aa', false, NULL),
          ('VSEEK', 'U1', 'r3', 'S3', 'video/webm', 'complete', 10, 10, 20, 2, 200, 'bb', true, NULL),
          ('VDONE', 'U1', 'r4', 'S4', 'video/webm', 'complete', 10, 10, 5, 2, 200, 'cc', true, 'dd'),
          ('VOLD', 'U1', 'r5', 'S5', 'video/webm', 'complete', 10, 10, 40, 1, 100, 'ee', NULL, NULL),
          ('VGONE', 'U1', 'r6', 'S6', 'video/webm', 'expired', 10, 10, NULL, 0, 0, NULL, NULL, NULL)`,
];

async function expectMigrated(repo: MetadataRepo): Promise<void> {
  expect(await repo.getVideo('VOPEN')).toMatchObject({ assembledChunks: 3, assembledBytes: 300, outputSegments: 3, outputUploadId: null, chunksDigest: null });
  expect(await repo.getVideo('VPLAIN')).toMatchObject({ outputSegments: 2, fileSha256: 'aa' });
  expect(await repo.getVideo('VSEEK')).toMatchObject({ fileSha256: null });
  expect(await repo.getVideo('VGONE')).toMatchObject({ outputSegments: 0 });
  expect(await repo.listCompletedPending(10)).toEqual(['VSEEK', 'VOLD']);
  expect(await repo.listSegments('VOPEN')).toEqual([]);
  await repo.close();
}

describe('migration 4', () => {
  it('upgrades a step-3 SQLite database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-migrate4-'));
    const file = join(dir, 'db.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    for (const m of MIGRATIONS.filter((m) => m.version <= 3)) db.exec(m.sql);
    for (const sql of STEP_3_ROWS) db.exec(sql);
    db.close();
    await expectMigrated(new SqliteMetadataRepo(file));
    rmSync(dir, { recursive: true, force: true });
  });

  it('upgrades a step-3 PostgreSQL database', async () => {
    const url = await cluster().freshDatabase();
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    await raw.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
    for (const m of PG_MIGRATIONS.filter((m) => m.version <= 3)) await raw.query(m.sql);
    for (const sql of STEP_3_ROWS) await raw.query(sql);
    await raw.end();
    await expectMigrated(await PgMetadataRepo.open({ connectionString: url }));
  });
});
