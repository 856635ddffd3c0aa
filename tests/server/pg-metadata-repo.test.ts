import { createServer } from 'node:net';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../src/shared/errors.ts';
import { PG_MIGRATIONS } from '../../src/server/storage/postgres/migrations.ts';
import { PgMetadataRepo } from '../../src/server/storage/postgres/pg-metadata-repo.ts';
import { newVideo, R1, twoNodes as twoPgNodes, untilSomeoneWaitsOnALock } from '../support/pg-nodes.ts';
import { usePostgres } from '../support/postgres.ts';
import { runMetadataRepoContract } from './metadata-repo.contract.ts';

const { cluster } = usePostgres();

runMetadataRepoContract('PgMetadataRepo', async () => PgMetadataRepo.open({ connectionString: await cluster().freshDatabase() }));

const twoNodes = () => twoPgNodes(cluster());

describe('PgMetadataRepo across nodes', () => {
  it('stores a chunk index once when two nodes insert it at the same moment', async () => {
    const { a, b, user, close } = await twoNodes();
    await a.createVideo(newVideo('V1', user.id));
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        Promise.all([
          a.insertChunk('V1', { index: i, size: 1, sha256: `a${i}` }, 20),
          b.insertChunk('V1', { index: i, size: 2, sha256: `b${i}` }, 20),
        ]),
      ),
    );
    const stored = await b.listChunks('V1');
    expect(stored).toHaveLength(40);
    results.forEach(([wonA, wonB], i) => {
      expect(wonA !== wonB).toBe(true);
      expect(stored[i]!.sha256).toBe(wonA ? `a${i}` : `b${i}`);
    });
    await close();
  });

  it('a chunk insert that waits on another node’s uncommitted insert of the same index reports false', async () => {
    const { a, user, raw, close } = await twoNodes();
    await a.createVideo(newVideo('V1', user.id));
    await raw.query('BEGIN');
    await raw.query("INSERT INTO chunks (video_id, idx, size, sha256) VALUES ('V1', 0, 7, 'first')");
    const second = a.insertChunk('V1', { index: 0, size: 9, sha256: 'second' }, 30);
    await untilSomeoneWaitsOnALock(raw);
    await raw.query('COMMIT');
    expect(await second).toBe(false);
    expect(await a.getChunk('V1', 0)).toEqual({ index: 0, size: 7, sha256: 'first' });
    await close();
  });

  it('createVideo with the same (user, recordingId) on two nodes at once: one row, both get it', async () => {
    const { a, b, user, raw, close } = await twoNodes();
    const [x, y] = await Promise.all([a.createVideo(newVideo('VA', user.id)), b.createVideo(newVideo('VB', user.id))]);
    expect([x.created, y.created].sort()).toEqual([false, true]);
    expect(x.video).toEqual(y.video);
    const { rows } = await raw.query('SELECT id FROM videos');
    expect(rows).toEqual([{ id: x.video.id }]);
    await close();
  });

  it('createVideo that waits on another node’s uncommitted insert returns that node’s video', async () => {
    const { b, user, raw, close } = await twoNodes();
    await raw.query('BEGIN');
    await raw.query(
      `INSERT INTO videos (id, user_id, recording_id, share_id, mime_type, state, created_at, updated_at)
       VALUES ('VA', $1, $2, 'SVA', 'video/webm', 'open', 5, 5)`,
      [user.id, R1],
    );
    const pending = b.createVideo(newVideo('VB', user.id));
    await untilSomeoneWaitsOnALock(raw);
    await raw.query('COMMIT');
    const got = await pending;
    expect(got.created).toBe(false);
    expect(got.video).toMatchObject({ id: 'VA', shareId: 'SVA', createdAt: 5 });
    await close();
  });

  it('expiry that meets another node’s chunk write in flight waits for it and drops its row too', async () => {
    const { a, user, raw, close } = await twoNodes();
    await a.createVideo(newVideo('V1', user.id));
    await raw.query('BEGIN');
    await raw.query("INSERT INTO chunks (video_id, idx, size, sha256) VALUES ('V1', 0, 7, 'x')");
    await raw.query("UPDATE videos SET stored_bytes = stored_bytes + 7 WHERE id = 'V1'");
    const expiring = a.expireVideo('V1', 40);
    await untilSomeoneWaitsOnALock(raw);
    await raw.query('COMMIT');
    await expiring;
    expect(await a.listChunks('V1')).toEqual([]);
    expect(await a.getVideo('V1')).toMatchObject({ state: 'expired', storedBytes: 0 });
    await close();
  });

  it('a chunk deletion waiting on a video another node is deleting does not deadlock with it', async () => {
    const { a, user, raw, close } = await twoNodes();
    await a.createVideo(newVideo('V1', user.id));
    await a.insertChunk('V1', { index: 0, size: 7, sha256: 'x' }, 20);
    // deleteVideo's order (the video row, then its chunks through the cascade) in two steps.
    await raw.query('BEGIN');
    await raw.query("SELECT 1 FROM videos WHERE id = 'V1' FOR UPDATE");
    const deleting = a.deleteChunk('V1', 0);
    await untilSomeoneWaitsOnALock(raw);
    await raw.query("DELETE FROM chunks WHERE video_id = 'V1'");
    await raw.query("DELETE FROM videos WHERE id = 'V1'");
    await raw.query('COMMIT');
    await deleting;
    expect(await a.getVideo('V1')).toBeNull();
    await close();
  });

  it('migrates once when three nodes start on an empty database together', async () => {
    const url = await cluster().freshDatabase();
    const repos = await Promise.all([1, 2, 3].map(() => PgMetadataRepo.open({ connectionString: url })));
    const raw = new pg.Client({ connectionString: url });
    await raw.connect();
    const { rows } = await raw.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version })));
    await raw.end();
    await Promise.all(repos.map((r) => r.close()));
  });
});

describe('PgMetadataRepo beyond the shared contract', () => {
  it('returns 64-bit columns as exact numbers (epoch ms, sizes over 4 GiB)', async () => {
    const { a, user, close } = await twoNodes();
    await a.createVideo({ ...newVideo('V1', user.id), now: 1_764_600_000_000 });
    expect(await a.recordSegment('V1', { number: 1, first: 0, end: 9000, offset: 0, bytes: 5_000_000_123, etag: null }, 0, 1_764_600_000_001)).toBe(true);
    const v = await a.getVideo('V1');
    expect(v).toMatchObject({ createdAt: 1_764_600_000_000, updatedAt: 1_764_600_000_001, assembledBytes: 5_000_000_123 });
    expect(typeof v!.assembledBytes).toBe('number');
    expect(await a.countUsers()).toBe(1);
    await close();
  });
});

describe('PgMetadataRepo errors, in catalogue codes', () => {
  it('a chunk for a video deleted by another node is not_found', async () => {
    const { a, b, user, close } = await twoNodes();
    await a.createVideo(newVideo('V1', user.id));
    await b.deleteVideo('V1');
    await expect(a.insertChunk('V1', { index: 0, size: 1, sha256: 'x' }, 1)).rejects.toMatchObject({ code: 'not_found' });
    await close();
  });

  it('an unreachable database is service_unavailable, not a crash', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const err = (await PgMetadataRepo.open({ connectionString: `postgres://app@127.0.0.1:${port}/none` }).catch((e) => e)) as ApiError;
    expect(err.code).toBe('service_unavailable');
    expect(err.details).toEqual({ retryAfterSec: 1 });
  });

  it('a connection killed by the database (node failover, restart) costs one 503 at most, then works', async () => {
    const { a, user, raw, close } = await twoNodes();
    await a.createVideo(newVideo('V1', user.id));
    const killed = a.transaction(async (client) => {
      await client.query("INSERT INTO chunks (video_id, idx, size, sha256) VALUES ('V1', 0, 1, 'x')");
      const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
      await raw.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
      await client.query('SELECT 1');
    });
    await expect(killed).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(await a.getChunk('V1', 0)).toBeNull();
    expect(await a.insertChunk('V1', { index: 0, size: 1, sha256: 'x' }, 2)).toBe(true);
    await close();
  });
});
