import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
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
});
