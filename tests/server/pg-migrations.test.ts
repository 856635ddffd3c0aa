/**
 * The PostgreSQL schema over time and where it must agree with SQLite beyond the shared contract:
 * a database made by step 1 upgrades stepwise with its data, a page cursor orders ids the same
 * on both engines whatever the database's collation, and the media/poster/title setters leave
 * the same record behind.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { MetadataRepo, VideoRecord } from '../../src/server/storage/metadata-repo.ts';
import { PG_MIGRATIONS } from '../../src/server/storage/postgres/migrations.ts';
import { PgMetadataRepo } from '../../src/server/storage/postgres/pg-metadata-repo.ts';
import { SqliteMetadataRepo } from '../../src/server/storage/sqlite-metadata-repo.ts';
import { newVideo } from '../support/pg-nodes.ts';
import { usePostgres } from '../support/postgres.ts';

const { cluster } = usePostgres();

describe('PostgreSQL migrations', () => {
  it('a database made by step 1 upgrades stepwise, its gaps folded into ranges and its bytes counted', async () => {
    const url = await cluster().freshDatabase();
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    // Exactly what a v1 node left behind.
    await raw.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
    await raw.query(PG_MIGRATIONS[0]!.sql);
    await raw.query('INSERT INTO schema_migrations VALUES (1, 0)');
    await raw.query("INSERT INTO users VALUES ('U1', 'ann', 1)");
    await raw.query(
      `INSERT INTO videos (id, user_id, recording_id, share_id, mime_type, state, created_at, updated_at, gaps, partial, sha256)
       VALUES ('VA', 'U1', 'r1', 'SA', 'video/webm', 'complete', 10, 11, '{3,4,5,9,12,13}', true, 'f'),
              ('VB', 'U1', 'r2', 'SB', 'video/webm', 'open', 10, 12, '{}', false, NULL),
              ('VC', 'U1', 'r3', 'SC', 'video/webm', 'complete', 20, 21, '{7}', true, 'e')`,
    );
    await raw.query("INSERT INTO chunks VALUES ('VA', 0, 100, 'a'), ('VA', 1, 50, 'b'), ('VB', 0, 7, 'c')");

    const repo = await PgMetadataRepo.open({ connectionString: url });
    const { rows } = await raw.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version })));
    expect(PG_MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5]);
    expect(await repo.getVideo('VA')).toMatchObject({
      gaps: [[3, 5], [9, 9], [12, 13]],
      partial: true,
      storedBytes: 150,
      durationMs: null,
      seekable: null,
      servedHead: null,
      fileSha256: null,
      posterAt: null,
    });
    expect(await repo.getVideo('VB')).toMatchObject({ gaps: [], storedBytes: 7 });
    expect(await repo.getVideo('VC')).toMatchObject({ gaps: [[7, 7]], storedBytes: 0 });
    expect(await repo.usage('U1')).toEqual({ bytes: 157, openSessions: 1 });
    // Ties on created_at now break by id (as on SQLite), no longer by insertion order.
    expect((await repo.listVideos('U1')).map((v) => v.id)).toEqual(['VC', 'VB', 'VA']);
    await repo.close();

    // Reopening runs nothing again.
    const applied = 'SELECT version, applied_at FROM schema_migrations ORDER BY version';
    const before = (await raw.query(applied)).rows;
    const again = await PgMetadataRepo.open({ connectionString: url });
    expect((await raw.query(applied)).rows).toEqual(before);
    await again.close();
    await raw.end();
  });
});

/** Writes the same history into a repository; returns its video record and listing. */
async function history(repo: MetadataRepo, ids: string[]): Promise<{ video: VideoRecord; order: string[]; pages: string[][] }> {
  const user = await repo.createUser('U'.repeat(22), 'ann', 1);
  for (const [n, id] of ids.entries()) await repo.createVideo(newVideo(id, user.id, `r${n}`, 10));
  const v = ids[0]!;
  await repo.insertChunk(v, { index: 1, size: 30, sha256: 'b' }, 11);
  await repo.recordSegment(v, { number: 1, first: 0, end: 1, offset: 0, bytes: 20, etag: null }, 0, 12, { index: 0, size: 20, sha256: 'a' });
  await repo.setTotalChunks(v, 4, 13);
  await repo.setMediaLayout(v, { durationMs: 4_000, seekable: true, servedHead: { length: 900, replaces: 700 } });
  await repo.completeIf(v, 1, { sha256: 'f'.repeat(64), chunksDigest: 'd'.repeat(64), partial: true, gaps: [[2, 3]], now: 14, assembledChunks: 4, assembledBytes: 50 });
  await repo.setFileSha256(v, 'e'.repeat(64));
  await repo.setPosterAt(v, 15);
  await repo.renameVideo(v, 'Standup, take 2', 9); // an older clock must not move updatedAt back
  await repo.setMediaLayout(ids[1]!, { durationMs: null, seekable: false, servedHead: null });
  const order = (await repo.listVideos(user.id)).map((x) => x.id);
  const pages: string[][] = [];
  let after: { createdAt: number; id: string } | null = null;
  for (;;) {
    const page: VideoRecord[] = await repo.listVideos(user.id, { limit: 2, after });
    pages.push(page.map((x) => x.id));
    if (page.length < 2) break;
    after = { createdAt: page[1]!.createdAt, id: page[1]!.id };
  }
  const video = (await repo.getVideo(v))!;
  expect((await repo.getVideo(ids[1]!))!).toMatchObject({ durationMs: null, seekable: false, servedHead: null });
  await repo.close();
  return { video, order, pages };
}

describe('PgMetadataRepo and SqliteMetadataRepo agree', () => {
  // Mixed case on purpose: bytewise, 'B' < 'a'; in most locales' collations 'a' < 'B'.
  const ids = ['aaaaaaaaaaaaaaaaaaaaaa', 'Baaaaaaaaaaaaaaaaaaaaa', 'Zaaaaaaaaaaaaaaaaaaaaa', 'baaaaaaaaaaaaaaaaaaaaa', '-aaaaaaaaaaaaaaaaaaaaa'];

  it('on media layout, served digest, poster, title, and on id order in a database with an English collation', async () => {
    const admin = new pg.Client({ connectionString: cluster().url('postgres') });
    await admin.connect();
    // ICU ships with Debian's PostgreSQL; the machine needs no OS locale for it.
    await admin.query("CREATE DATABASE english TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'");
    await admin.end();
    const check = new pg.Client({ connectionString: cluster().url('english') });
    await check.connect();
    const { rows } = await check.query("SELECT x FROM unnest(ARRAY['a', 'B']) x ORDER BY x");
    expect(rows.map((r) => r.x)).toEqual(['a', 'B']); // the database really orders by locale
    await check.end();

    const sqlite = await history(new SqliteMetadataRepo(':memory:'), ids);
    const postgres = await history(await PgMetadataRepo.open({ connectionString: cluster().url('english') }), ids);
    expect(postgres).toEqual(sqlite);
    expect(sqlite.order).toEqual([...ids].sort().reverse());
    expect(sqlite.video).toMatchObject({
      title: 'Standup, take 2',
      updatedAt: 15,
      durationMs: 4_000,
      seekable: true,
      servedHead: { length: 900, replaces: 700 },
      fileSha256: 'e'.repeat(64),
      posterAt: 15,
      storedBytes: 50,
      gaps: [[2, 3]],
    });
  });
});
