/**
 * Several API nodes on one PostgreSQL database, for the cross-node tests: each node is its own
 * PgMetadataRepo (its own pool, its own connections), as in production, plus a raw client that
 * holds locks and watches who waits.
 */
import pg from 'pg';
import type { NewVideo, User } from '../../src/server/storage/metadata-repo.ts';
import { PgMetadataRepo } from '../../src/server/storage/postgres/pg-metadata-repo.ts';
import type { PgCluster } from './pg-cluster.ts';

export const R1 = '11111111-1111-4111-8111-111111111111';
/** A distinct recording id per number. */
export const rec = (n: number) => `11111111-1111-4111-8111-${String(n).padStart(12, '0')}`;

export const newVideo = (id: string, userId: string, recordingId = R1, now = 10): NewVideo => ({
  id,
  userId,
  recordingId,
  shareId: `S${id}`,
  title: null,
  mimeType: 'video/webm',
  now,
});

export interface PgNodes {
  url: string;
  a: PgMetadataRepo;
  b: PgMetadataRepo;
  /** The user 'ann', created through `a`. */
  user: User;
  raw: pg.Client;
  close(): Promise<void>;
}

/** Two nodes on a fresh database (a new schema of `cluster`). */
export async function twoNodes(cluster: PgCluster): Promise<PgNodes> {
  const url = await cluster.freshDatabase();
  const [a, b] = await Promise.all([PgMetadataRepo.open({ connectionString: url }), PgMetadataRepo.open({ connectionString: url })]);
  const user = await a.createUser('U'.repeat(22), 'ann', 1);
  const raw = new pg.Client({ connectionString: url });
  // A test that fails before close() leaves it open when the cluster stops: not a crash.
  raw.on('error', () => {});
  await raw.connect();
  const close = async () => {
    await raw.end();
    await Promise.all([a.close(), b.close()]);
  };
  return { url, a, b, user, raw, close };
}

/**
 * Resolves once some backend of the database waits on a lock: a condition, not a clock. With
 * `pending`, rejects if that write settles first (it did not wait for the lock held).
 */
export async function untilSomeoneWaitsOnALock(raw: pg.Client, pending?: Promise<unknown>): Promise<void> {
  let settled = false;
  pending?.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (;;) {
    const { rows } = await raw.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
    if (rows[0].n > 0) return;
    if (settled) throw new Error('the write finished without waiting for the other node’s transaction');
    await new Promise((r) => setImmediate(r));
  }
}

/** Settles every promise; returns how many resolved and the codes of those that rejected. */
export async function outcomes(ps: Promise<unknown>[]): Promise<{ ok: number; codes: string[] }> {
  const settled = await Promise.allSettled(ps);
  const codes = settled.flatMap((s) => (s.status === 'rejected' ? [String((s.reason as { code?: string }).code ?? s.reason)] : []));
  return { ok: settled.length - codes.length, codes };
}
