/**
 * Per-user and per-recording limits on PostgreSQL with several API nodes: each node is its own
 * pool (its own connections) on one database, as in production, and the writes race for real.
 */
import { describe, expect, it } from 'vitest';
import type { ByteLimits } from '../../src/server/storage/metadata-repo.ts';
import { newVideo as video, outcomes, rec, twoNodes as twoPgNodes, untilSomeoneWaitsOnALock as untilItWaits } from '../support/pg-nodes.ts';
import { usePostgres } from '../support/postgres.ts';

const { cluster } = usePostgres();

const twoNodes = () => twoPgNodes(cluster());

describe('PgMetadataRepo limits across nodes', () => {
  it('two nodes filling one user’s quota at once store exactly the quota, never more', async () => {
    const { a, b, user, close } = await twoNodes();
    for (let n = 1; n <= 4; n++) await a.createVideo(video(`V${n}`, user.id, rec(n)));
    const limits: ByteLimits = { userBytes: 100, recordingBytes: null };
    const writes = Array.from({ length: 15 }, (_, i) => [
      a.insertChunk('V1', { index: i, size: 10, sha256: `a${i}` }, 20, limits),
      b.insertChunk('V2', { index: i, size: 10, sha256: `b${i}` }, 20, limits),
      a.insertChunk('V3', { index: i, size: 10, sha256: `c${i}` }, 20, limits),
      b.insertChunk('V4', { index: i, size: 10, sha256: `d${i}` }, 20, limits),
    ]).flat();
    const { ok, codes } = await outcomes(writes);
    expect(ok).toBe(10);
    expect(new Set(codes)).toEqual(new Set(['user_quota_exceeded']));
    expect(await b.usage(user.id)).toEqual({ bytes: 100, openSessions: 4 });
    const rows = (await Promise.all(['V1', 'V2', 'V3', 'V4'].map((v) => a.listChunks(v)))).flat();
    expect(rows.reduce((n, c) => n + c.size, 0)).toBe(100);
    await close();
  });

  it('a limited write waits for another node’s uncommitted write for the same user, then counts it', async () => {
    const { a, user, raw, close } = await twoNodes();
    await a.createVideo(video('V1', user.id, rec(1)));
    await a.createVideo(video('V2', user.id, rec(2)));
    const limits: ByteLimits = { userBytes: 100, recordingBytes: null };
    // Another node in the middle of its own limited write: it holds the user's row lock and has
    // recorded 95 bytes, not yet committed. Our count must not run before it ends.
    await raw.query('BEGIN');
    await raw.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [user.id]);
    await raw.query("INSERT INTO chunks (video_id, idx, size, sha256) VALUES ('V1', 0, 95, 'x')");
    await raw.query("UPDATE videos SET stored_bytes = stored_bytes + 95 WHERE id = 'V1'");
    const refused = a.insertChunk('V2', { index: 0, size: 10, sha256: 'y' }, 30, limits);
    await untilItWaits(raw, refused);
    await raw.query('COMMIT');
    await expect(refused).rejects.toMatchObject({ code: 'user_quota_exceeded', details: { limitBytes: 100 } });
    expect(await a.getChunk('V2', 0)).toBeNull();
    expect(await a.getVideo('V2')).toMatchObject({ storedBytes: 0, updatedAt: 10 });

    // The same race where the other write is rolled back: ours then fits.
    await raw.query('BEGIN');
    await raw.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [user.id]);
    await raw.query("UPDATE videos SET stored_bytes = stored_bytes + 5 WHERE id = 'V1'");
    const accepted = a.insertChunk('V2', { index: 0, size: 5, sha256: 'y' }, 31, limits);
    await untilItWaits(raw, accepted);
    await raw.query('ROLLBACK');
    expect(await accepted).toBe(true);
    expect(await a.usage(user.id)).toEqual({ bytes: 100, openSessions: 2 });
    await close();
  });

  it('two nodes writing one recording at once stop exactly at its limit', async () => {
    const { a, b, user, close } = await twoNodes();
    await a.createVideo(video('V1', user.id, rec(1)));
    const limits: ByteLimits = { userBytes: null, recordingBytes: 50 };
    const writes = Array.from({ length: 10 }, (_, i) => [
      a.insertChunk('V1', { index: 2 * i, size: 10, sha256: `a${i}` }, 20, limits),
      b.insertChunk('V1', { index: 2 * i + 1, size: 10, sha256: `b${i}` }, 20, limits),
    ]).flat();
    const { ok, codes } = await outcomes(writes);
    expect(ok).toBe(5);
    expect(new Set(codes)).toEqual(new Set(['recording_too_large']));
    expect((await b.getVideo('V1'))!.storedBytes).toBe(50);
    expect(await b.chunkSummary('V1')).toMatchObject({ count: 5 });
    await close();
  });

  it('two nodes opening sessions at once for one user open exactly the limit', async () => {
    const { a, b, user, close } = await twoNodes();
    const inits = Array.from({ length: 12 }, (_, n) => (n % 2 ? a : b).createVideo(video(`V${n}`, user.id, rec(n)), 3));
    const { ok, codes } = await outcomes(inits);
    expect(ok).toBe(3);
    expect(new Set(codes)).toEqual(new Set(['too_many_open_sessions']));
    expect(await a.usage(user.id)).toEqual({ bytes: 0, openSessions: 3 });
    await close();
  });

  it('a session init waits for another node’s uncommitted init for the same user, then counts it', async () => {
    const { a, user, raw, close } = await twoNodes();
    await a.createVideo(video('V1', user.id, rec(1)));
    await raw.query('BEGIN');
    await raw.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [user.id]);
    await raw.query(
      `INSERT INTO videos (id, user_id, recording_id, share_id, mime_type, state, created_at, updated_at)
       VALUES ('V2', $1, $2, 'SV2', 'video/webm', 'open', 5, 5)`,
      [user.id, rec(2)],
    );
    const refused = a.createVideo(video('V3', user.id, rec(3)), 2);
    await untilItWaits(raw, refused);
    await raw.query('COMMIT');
    await expect(refused).rejects.toMatchObject({ code: 'too_many_open_sessions', details: { limit: 2 } });
    expect(await a.getVideo('V3')).toBeNull();
    await close();
  });

  it('chunk inserts racing their video’s creation on another node never leave a chunk outside stored_bytes', async () => {
    // The window: a video committed after the chunk statement took its snapshot but before its
    // foreign-key check ran (at the statement's end) got the row without the bytes. Our own
    // client never sends a chunk before init answered; another writer may. A race, so many tries.
    const { a, b, user, raw, close } = await twoNodes();
    const ROUNDS = 300;
    const ids: string[] = [];
    for (let k = 0; k < ROUNDS; k++) {
      const id = `N${k}`;
      ids.push(id);
      const limits = [undefined, { userBytes: null, recordingBytes: 1000 }, { userBytes: 1_000_000, recordingBytes: null }][k % 3];
      const settled = await Promise.allSettled([b.createVideo(video(id, user.id, rec(1000 + k))), a.insertChunk(id, { index: 0, size: 10, sha256: 'x' }, 20, limits)]);
      expect(settled[0].status).toBe('fulfilled');
      // The chunk either went in with its bytes, or was refused as not_found (no video yet).
      if (settled[1].status === 'rejected') expect(settled[1].reason).toMatchObject({ code: 'not_found' });
      else expect(settled[1].value).toBe(true);
    }
    const { rows: stored } = await raw.query(
      `SELECT v.id, v.stored_bytes, COALESCE((SELECT sum(size) FROM chunks c WHERE c.video_id = v.id), 0)::int AS chunk_bytes
       FROM videos v WHERE v.id = ANY($1) AND v.stored_bytes <> COALESCE((SELECT sum(size) FROM chunks c WHERE c.video_id = v.id), 0)`,
      [ids],
    );
    expect(stored).toEqual([]);
    await close();
  });

  it('limited writes, session inits, chunk removal, expiry and deletion for one user on two nodes: no deadlock, bytes add up', async () => {
    const { a, b, user, close } = await twoNodes();
    for (let n = 0; n < 6; n++) await a.createVideo(video(`V${n}`, user.id, rec(n)));
    const limits: ByteLimits = { userBytes: 1_000_000, recordingBytes: 1_000_000 };
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      for (let n = 0; n < 6; n++) work.push((i % 2 ? a : b).insertChunk(`V${n}`, { index: i, size: 10, sha256: 'x' }, 20, limits));
      work.push((i % 2 ? b : a).createVideo(video(`W${i}`, user.id, rec(100 + i)), 1000));
      work.push((i % 2 ? b : a).insertChunk(`W${i}`, { index: 0, size: 10, sha256: 'y' }, 20, limits));
    }
    work.push(b.expireVideo('V4', 30), a.deleteVideo('V5'));
    for (let i = 0; i < 10; i += 3) work.push(b.deleteChunk('V3', i), a.deleteChunk('V4', i));
    const { codes } = await outcomes(work);
    // Writes to V4/V5 or to a W video not yet created may be refused as not_found; a deadlock
    // victim or a lock timeout would be service_unavailable.
    expect(codes.filter((c) => c !== 'not_found')).toEqual([]);
    const usage = await a.usage(user.id);
    const all = await a.listVideos(user.id);
    expect(usage.bytes).toBe(all.reduce((n, v) => n + v.storedBytes, 0));
    for (const v of all) {
      const chunks = await b.listChunks(v.id);
      expect(v.storedBytes).toBe(chunks.reduce((n, c) => n + c.size, 0));
    }
    await close();
  });
});
