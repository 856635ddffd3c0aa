/**
 * Migration 2 on a real version-1 database: gaps stored as a list of indices become inclusive
 * ranges, each video's stored bytes are counted from its chunk rows, and nothing else changes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteMetadataRepo } from '../../src/server/storage/sqlite-metadata-repo.ts';
import { MIGRATIONS } from '../../src/server/storage/sqlite-migrations.ts';

const U = 'U'.repeat(22);
const V1 = 'A'.repeat(22);
const V2 = 'B'.repeat(22);

describe('SQLite migration 2', () => {
  it('turns stored gaps into ranges and counts stored bytes, keeping every row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-migrate-'));
    const file = join(dir, 'db.sqlite');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    db.exec(MIGRATIONS.find((m) => m.version === 1)!.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (1, 0)').run();
    db.prepare("INSERT INTO users VALUES (?, 'ann', 1)").run(U);
    const insertVideo = db.prepare(
      "INSERT INTO videos (id, user_id, recording_id, share_id, mime_type, state, created_at, updated_at, partial, gaps) VALUES (?, ?, ?, ?, 'video/webm', ?, 1, 1, ?, ?)",
    );
    insertVideo.run(V1, U, 'r1', 'S'.repeat(22), 'complete', 1, JSON.stringify([1, 2, 3, 7, 9, 10, 100_000]));
    insertVideo.run(V2, U, 'r2', 'T'.repeat(22), 'open', 0, '[]');
    const chunk = db.prepare('INSERT INTO chunks VALUES (?, ?, ?, ?)');
    chunk.run(V1, 0, 10, 'a');
    chunk.run(V1, 4, 20, 'b');
    chunk.run(V2, 0, 5, 'c');
    db.close();

    const repo = new SqliteMetadataRepo(file);
    expect(await repo.getVideo(V1)).toMatchObject({ gaps: [[1, 3], [7, 7], [9, 10], [100_000, 100_000]], storedBytes: 30, partial: true, state: 'complete' });
    expect(await repo.getVideo(V2)).toMatchObject({ gaps: [], storedBytes: 5, state: 'open' });
    expect(await repo.listChunks(V1)).toHaveLength(2);
    expect(await repo.usage(U)).toEqual({ bytes: 35, openSessions: 1 });
    await repo.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
