/**
 * A throwaway PostgreSQL cluster for tests: Debian's postgresql-15 binaries, a temp directory,
 * 127.0.0.1 on a free port, trust auth for the role `app`. `initdb` refuses to run as root, so
 * as root every binary runs as the `postgres` user (runuser), which must own the directory.
 *
 * `startPgCluster()` (also used by bench scripts) starts one; stop() stops the server and
 * removes the directory — a run leaves no process and no file behind. A process `exit` hook
 * stops the cluster too if the caller dies before stop(). Tests use `usePostgres()`
 * (tests/support/postgres.ts).
 *
 * Missing binaries are a failure with instructions, never a skip: every MetadataRepo and Locker
 * contract must run against PostgreSQL in `npm test`.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { chown } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './tcp.ts';

const run = promisify(execFile);

export const PG_BIN = process.env.OUTBOX_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PgCluster {
  host: string;
  port: number;
  /** A connection URL for an existing database of the cluster. */
  url(database: string): string;
  /**
   * A URL to a namespace of its own, empty: a new schema of the cluster's `test` database chosen
   * by `search_path`, so unqualified names (all of ours) resolve there. It costs a few ms where
   * CREATE DATABASE costs 0.3–1.5 s on this machine. Advisory locks and pg_stat_activity are
   * per database, so they are shared between the namespaces of one file (its tests run one by one).
   */
  freshDatabase(): Promise<string>;
  stop(): Promise<void>;
}

export interface PgClusterOptions {
  /**
   * false (tests): fsync off — a crash of the test machine loses nothing we keep. true (bench):
   * the server's defaults, so a commit costs what it costs in production.
   */
  durable?: boolean;
}

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  const bin = join(PG_BIN, cmd);
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

async function pgRun(cmd: string, args: string[]): Promise<void> {
  const [file, argv] = asPostgres(cmd, args);
  try {
    await run(file, argv, { timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} failed: ${e.stderr?.trim() || e.message}`);
  }
}

function assertBinaries(): void {
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'pg_ctl'))) {
    throw new Error(
      `PostgreSQL binaries not found in ${PG_BIN}. Install Debian's postgresql package ` +
        '(apt-get install -y postgresql) or set OUTBOX_PG_BIN to the directory holding initdb and pg_ctl.',
    );
  }
}

export async function startPgCluster(opts: PgClusterOptions = {}): Promise<PgCluster> {
  assertBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'outbox-pg-'));
  const dataDir = join(dir, 'pg');
  const host = '127.0.0.1';
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    await chown(dir, uid, gid);
  }
  let started = false;
  const stopSync = () => {
    if (!started) return;
    started = false;
    const [file, argv] = asPostgres('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    try {
      execFileSync(file, argv, { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // Already gone; removing the directory below is all that is left to do.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopSync);
  let port = 0;
  try {
    await pgRun('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'app', '-E', 'UTF8', '--locale=C', '--no-sync']);
    const settings = ['-k', dir, '-c', `listen_addresses=${host}`];
    if (!opts.durable) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    // The port is free when we look; another process may take it before postgres binds, so retry.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await pgRun('pg_ctl', ['-D', dataDir, '-l', join(dir, 'server.log'), '-o', [...settings, '-p', String(port)].join(' '), '-w', 'start']);
        started = true;
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  } catch (err) {
    started = true;
    stopSync();
    process.removeListener('exit', stopSync);
    throw err;
  }

  const url = (database: string) => `postgres://app@${host}:${port}/${database}`;
  const admin = new pg.Client({ connectionString: url('test') });
  try {
    const bootstrap = new pg.Client({ connectionString: url('postgres') });
    await bootstrap.connect();
    await bootstrap.query('CREATE DATABASE test');
    await bootstrap.end();
    await admin.connect();
  } catch (err) {
    stopSync();
    process.removeListener('exit', stopSync);
    throw err;
  }
  let n = 0;
  return {
    host,
    port,
    url,
    async freshDatabase() {
      const schema = `t${++n}`;
      await admin.query(`CREATE SCHEMA ${schema}`);
      return `${url('test')}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    },
    async stop() {
      if (!started) return;
      started = false;
      await admin.end().catch(() => {});
      try {
        await pgRun('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        process.removeListener('exit', stopSync);
      }
    },
  };
}
