import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { toCatalogueError } from '../../src/server/storage/sqlite-errors.ts';
import { SqliteMetadataRepo } from '../../src/server/storage/sqlite-metadata-repo.ts';
import { MIGRATIONS } from '../../src/server/storage/sqlite-migrations.ts';
import { runMetadataRepoContract } from './metadata-repo.contract.ts';

runMetadataRepoContract('SqliteMetadataRepo', async () => new SqliteMetadataRepo(':memory:'));

describe('SqliteMetadataRepo specifics', () => {
  it('uses WAL and applies each migration exactly once across reopenings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-sqlite-'));
    const file = join(dir, 'db.sqlite');
    await new SqliteMetadataRepo(file).close();
    const second = new SqliteMetadataRepo(file);
    await second.createUser('U'.repeat(22), 'ann', 1);
    await second.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a write lock held past busy_timeout by another connection as 503 with Retry-After, and goes on after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outbox-sqlite-'));
    const file = join(dir, 'db.sqlite');
    const repo = new SqliteMetadataRepo(file, { busyTimeoutMs: 20 });
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    await expect(repo.createUser('U'.repeat(22), 'ann', 1)).rejects.toMatchObject({ code: 'service_unavailable', details: { retryAfterSec: 1 } });
    other.exec('ROLLBACK');
    other.close();
    await repo.createUser('U'.repeat(22), 'ann', 1);
    expect(await repo.countUsers()).toBe(1);
    await repo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a chunk for a video deleted meanwhile as not_found (foreign key), as PostgreSQL does', async () => {
    const repo = new SqliteMetadataRepo(':memory:');
    await expect(repo.insertChunk('gone', { index: 0, size: 1, sha256: 'a' }, 1)).rejects.toMatchObject({ code: 'not_found' });
    await repo.close();
  });

  it('maps a full disk, from SQLite or from the WAL flush, to insufficient_storage and leaves other errors alone', () => {
    for (const code of ['SQLITE_FULL', 'ENOSPC', 'EDQUOT']) {
      expect(toCatalogueError(Object.assign(new Error('full'), { code }))).toMatchObject({ code: 'insufficient_storage' });
    }
    expect(toCatalogueError(Object.assign(new Error('busy'), { code: 'SQLITE_BUSY_SNAPSHOT' }))).toMatchObject({ code: 'service_unavailable' });
    const bug = Object.assign(new Error('syntax'), { code: 'SQLITE_ERROR' });
    expect(toCatalogueError(bug)).toBe(bug);
  });
});
