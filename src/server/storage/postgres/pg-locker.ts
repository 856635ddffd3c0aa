/**
 * Locker across processes on PostgreSQL advisory locks
 * (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS).
 *
 * A holder takes a connection from the locker's own pool, opens a transaction and waits in
 * `pg_advisory_xact_lock(key)`; the lock lasts until that transaction ends, which we do right
 * after `fn` settles. Transaction-scoped rather than session-scoped on purpose: whatever goes
 * wrong, ending the transaction (or losing the connection) releases the lock, so a pooled
 * connection can never carry a forgotten lock to its next user. When the node dies, the
 * database ends its session and the lock goes with it.
 *
 * Within one process, holders of a key queue on a KeyedMutex first, so a node uses at most one
 * connection per locked video and never sends two waiters for one key to the database. Each held
 * lock occupies a connection of this pool for the duration of `fn` (size the pool for the number
 * of videos a node works on at once); a server-side `idle_in_transaction_session_timeout` shorter
 * than the longest `fn` would end the session and abort `lost`.
 *
 * Keys are hashed to the 64-bit key space with SHA-256 under a namespace prefix: a collision
 * (odds ~n²/2⁶⁵) only makes two videos wait for each other, it never breaks exclusion.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { KeyedMutex } from '../../keyed-mutex.ts';
import type { Locker } from '../locker.ts';
import { toCatalogueError } from './errors.ts';

const NAMESPACE = 'outbox-recorder:lock:';

/** The signed 64-bit advisory-lock key for `key`, as a decimal string (exact; no float). */
export function advisoryKey(key: string): string {
  return createHash('sha256').update(NAMESPACE + key).digest().readBigInt64BE(0).toString();
}

export interface PgLockerOptions {
  connectionString: string;
  /** Videos this node may hold locked at once; default 16. */
  max?: number;
  /** How long a holder waits for a free connection before failing as 503; default 30 s. */
  connectionTimeoutMillis?: number;
}

export class PgLocker implements Locker {
  private readonly local = new KeyedMutex();

  private constructor(private readonly pool: pg.Pool) {}

  static open(opts: PgLockerOptions): PgLocker {
    const pool = new pg.Pool({
      connectionString: opts.connectionString,
      max: opts.max ?? 16,
      connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 30_000,
      application_name: 'outbox-locker',
    });
    pool.on('error', () => {}); // an idle connection dropped: the next holder gets a new one
    return new PgLocker(pool);
  }

  withLock<T>(key: string, fn: (lost: AbortSignal) => Promise<T>): Promise<T> {
    return this.local.run(key, () => this.holdAcrossProcesses(key, fn));
  }

  private async holdAcrossProcesses<T>(key: string, fn: (lost: AbortSignal) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw toCatalogueError(err);
    }
    const lost = new AbortController();
    const onError = (err: Error) => lost.abort(toCatalogueError(err));
    client.on('error', onError);
    const finish = async (failure?: unknown) => {
      // ROLLBACK ends the transaction and with it the lock. If it cannot be sent, destroy the
      // connection instead: the database releases a dead session's locks.
      const ended = await client.query('ROLLBACK').then(() => true, () => false);
      client.removeListener('error', onError);
      client.release(ended && !lost.signal.aborted ? undefined : ((failure as Error) ?? new Error('lock connection lost')));
    };
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryKey(key)]);
    } catch (err) {
      await finish(err);
      throw toCatalogueError(err);
    }
    try {
      return await fn(lost.signal);
    } finally {
      await finish();
    }
  }

  idle(): Promise<void> {
    return this.local.idle();
  }

  async close(): Promise<void> {
    await this.idle();
    await this.pool.end();
  }
}
