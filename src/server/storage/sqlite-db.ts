/**
 * One SQLite connection (better-sqlite3@12; v13 needs Node 22) with the transaction and
 * durability helpers the metadata repository is written in. WAL lets the CLI and test helpers
 * open the same file while the server runs; busy_timeout makes them wait instead of failing on
 * a momentary write lock (past it: 503, sqlite-errors.ts). Statements are prepared once and
 * cached (`st`); SQLite's failures leave here as catalogue errors.
 *
 * Durability (the port's promise: a resolved write survives a power loss): `durably` and
 * `durablyIf` commit and then wait for an fdatasync of the WAL off the event loop, shared by
 * concurrent writers (sqlite-wal-flush.ts says why this and not `synchronous = FULL`). `soon`
 * commits without waiting; the WAL is flushed within WAL_FLUSH_DELAY_MS.
 *
 * Writes run as BEGIN IMMEDIATE transactions: the write lock is taken before the first read,
 * so a compare-and-set cannot read a prefix another connection is about to change (a deferred
 * transaction would fail its lock upgrade with SQLITE_BUSY_SNAPSHOT instead of waiting).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { toCatalogueError } from './sqlite-errors.ts';
import { migrate } from './sqlite-migrations.ts';
import { WalFlusher } from './sqlite-wal-flush.ts';

/** How long commits nobody waits for may wait for their background WAL flush. */
const WAL_FLUSH_DELAY_MS = 200;

/** Thrown inside a transaction to roll it back: the compare-and-set answers false. */
export const UNDO = Symbol('undo');

export class SqliteDb {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly wal: WalFlusher;

  /**
   * `file` may be ':memory:' (tests). `busyTimeoutMs`: how long a write waits for another
   * connection's write lock before failing as 503.
   */
  constructor(file: string, opts: { busyTimeoutMs?: number } = {}) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    this.wal = new WalFlusher(file === ':memory:' ? null : `${file}-wal`, WAL_FLUSH_DELAY_MS);
  }

  /** Prepared once per SQL text (preparing costs more than running these statements). */
  st(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** Runs `fn`, with SQLite's failures as catalogue errors. */
  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw toCatalogueError(err);
    }
  }

  /** One BEGIN IMMEDIATE transaction, committed (not yet flushed). */
  private commit<T>(fn: () => T): T {
    return this.read(() => this.db.transaction(fn).immediate());
  }

  private async flush(): Promise<void> {
    try {
      await this.wal.flush();
    } catch (err) {
      throw toCatalogueError(err);
    }
  }

  /** Runs `fn` as one transaction and resolves once its commit is on stable storage. */
  async durably<T>(fn: () => T): Promise<T> {
    const result = this.commit(fn);
    await this.flush();
    return result;
  }

  /** A compare-and-set: `fn` answers whether it applied (or throws UNDO); durable when true. */
  async durablyIf(fn: () => boolean): Promise<boolean> {
    let applied: boolean;
    try {
      applied = this.commit(fn);
    } catch (err) {
      if (err === UNDO) return false;
      throw err;
    }
    if (applied) await this.flush();
    return applied;
  }

  /** A commit nobody waits to be durable: flushed soon, in the background. */
  soon<T>(fn: () => T): T {
    const result = this.commit(fn);
    this.wal.flushLater();
    return result;
  }

  async close(): Promise<void> {
    await this.wal.close();
    if (this.db.open) this.db.close();
  }
}
