/**
 * Real servers for tests, on 127.0.0.1 with an ephemeral port and a temp data directory.
 *
 * - `startTestServer`: in-process (fast; injectable clock). `url` is `http://127.0.0.1:<port>` and
 *   the server's public URL (shareUrl/videoUrl) is the same origin.
 * - `startServerProcess`: the real entry `node --import tsx src/server/main.ts` as a child
 *   process (for kill -9 / restart tests), started by launcher.ts. Its stdout/stderr are
 *   captured (`output()`).
 *
 * `startTestServer` runs on disk + SQLite, or on PostgreSQL + S3 (a fresh schema and bucket per
 * server) when OUTBOX_TEST_BACKEND=pg-s3 (tests/support/test-backend.ts); the data directory then
 * holds only node-local temp files.
 *
 * Users of `startServerProcess` are created directly in its database (SQLite's WAL makes that
 * safe while the server runs); on pg-s3 the child runs on a fresh schema and bucket as well.
 * The temp data directory is removed on stop() unless the caller passed `dataDir` or
 * `keepDataDir: true`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerDeps } from '../../src/server/app.ts';
import { loadConfig, type ServerConfig } from '../../src/server/config.ts';
import pino from 'pino';
import type { MetadataRepo } from '../../src/server/storage/metadata-repo.ts';
import { openMetadataRepo } from '../../src/server/storage/open-metadata.ts';
import { addUser, revokeUser } from '../../src/server/users.ts';
import { launch, listeningPort, stopChild, waitForLine, type Launched } from './launcher.ts';
import { sharedStorageFor, testBackend, type SharedStorage } from './test-backend.ts';

export interface TestServer {
  url: string;
  dataDir: string;
  /** Creates a user and returns a valid bearer token for it. */
  createUser(name: string): Promise<string>;
  /** Revokes every token of the user (later calls answer 401). */
  revokeUser(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface InProcessTestServer extends TestServer {
  /** The PostgreSQL schema and bucket it runs on (OUTBOX_TEST_BACKEND=pg-s3); null on disk + SQLite. */
  shared: SharedStorage | null;
  /** The fastify instance, for tests that reach its services (`app.outbox.sweep()`, `ctx.chunks`). */
  app: FastifyInstance;
}

export interface ServerProcess extends TestServer {
  /** Sends the signal (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stops the process if running (SIGTERM) and starts it again on the same data dir and port. */
  restart(): Promise<void>;
  /** Everything the process(es) wrote to stdout and stderr so far. */
  output(): string;
  /** The running process's id (to read its memory and I/O counters from /proc). */
  readonly pid: number;
  /**
   * Exits nobody asked for (not through kill/restart/stop), each with the tail of the output.
   * Behind a proxy a dead node goes unnoticed (nginx tries the next), so tests check this.
   */
  unexpectedExits(): string[];
}

const ROOT = resolve(import.meta.dirname, '../..');

/** Quiet, test-friendly defaults; callers' env wins. */
const TEST_ENV: Record<string, string> = { LOG_LEVEL: 'warn', OUTBOX_RATE_LIMIT: '1000000', OUTBOX_AUTH_FAILURE_LIMIT: '1000000' };

/**
 * The environment of a server child process: the test defaults, logging at info (the listening
 * line is an info event), the built app, then the caller's variables; address always 127.0.0.1.
 */
export function serverEnv(env: Record<string, string> = {}): Record<string, string> {
  return { ...TEST_ENV, LOG_LEVEL: 'info', OUTBOX_STATIC_DIR: join(ROOT, 'dist'), ...env, HOST: '127.0.0.1' };
}

/** The server's repository on `dataDir` (SQLite, or its PostgreSQL schema on pg-s3), opened for `fn` only. */
async function withRepo<T>(dataDir: string, env: Record<string, string>, fn: (repo: MetadataRepo) => Promise<T>): Promise<T> {
  const repo = await openMetadataRepo(await testServerConfig(dataDir, { ...env, LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

/**
 * The configuration `startTestServer` gives a server on `dataDir`: the test defaults, the test
 * backend's storage (a fresh or the earlier schema and bucket on pg-s3), then `env`. Tests that
 * open a store or the repository themselves (to wrap it) open it from this.
 */
export async function testServerConfig(dataDir: string, env: Record<string, string> = {}, staticDir?: string): Promise<ServerConfig> {
  const shared = testBackend() === 'pg-s3' && !env.OUTBOX_DATABASE_URL ? await sharedStorageFor(dataDir) : null;
  return loadConfig({
    ...TEST_ENV,
    ...shared?.env,
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
    OUTBOX_DATA_DIR: dataDir,
    OUTBOX_STATIC_DIR: staticDir ?? env.OUTBOX_STATIC_DIR ?? join(ROOT, 'dist'),
  });
}

export interface InProcessOptions {
  /** Default: a fresh temp directory, removed on stop(). */
  dataDir?: string;
  env?: Record<string, string>;
  clock?: () => number;
  staticDir?: string;
  keepDataDir?: boolean;
  /** Remove `dataDir` on stop() even though the caller passed it. */
  removeDataDir?: boolean;
  deps?: ServerDeps;
}

/** A fresh temp data directory (the caller removes it, or passes `removeDataDir`). */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'outbox-server-'));
}

/**
 * `deps`: what buildServer takes besides the configuration (wrapped stores or repository, a
 * clock, a log stream); `clock` also dates the users it creates.
 */
export async function startTestServer(opts: InProcessOptions = {}): Promise<InProcessTestServer> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const removeOnStop = opts.removeDataDir ?? (!opts.dataDir && !opts.keepDataDir);
  const shared = testBackend() === 'pg-s3' ? await sharedStorageFor(dataDir) : null;
  const config = await testServerConfig(dataDir, opts.env, opts.staticDir);
  const clock = opts.clock ?? opts.deps?.clock ?? Date.now;
  const app = buildServer(config, { ...opts.deps, clock });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (err) {
    await app.close();
    throw err;
  }
  const addr = app.server.address();
  if (!addr || typeof addr !== 'object') throw new Error('server has no address');
  let stopped = false;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    dataDir,
    shared,
    app,
    createUser: async (name) => (await addUser(app.outbox.repo, name, clock())).token,
    revokeUser: async (name) => void (await revokeUser(app.outbox.repo, name, clock())),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await app.close();
      if (removeOnStop) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startServerProcess(
  opts: { dataDir?: string; port?: number; env?: Record<string, string>; keepDataDir?: boolean } = {},
): Promise<ServerProcess> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const removeOnStop = !opts.dataDir && !opts.keepDataDir;
  // On pg-s3 the child runs on the test backend too, unless the caller points it at a database.
  const shared = testBackend() === 'pg-s3' && !opts.env?.OUTBOX_DATABASE_URL ? await sharedStorageFor(dataDir) : null;
  const childEnv = { ...shared?.env, ...opts.env };
  let port = opts.port ?? 0;
  let current: Launched | null = null;
  let earlier = '';
  let url = '';
  let stopping = false;
  const unexpected: string[] = [];

  const spawnOnce = async (): Promise<void> => {
    if (current) earlier += current.output();
    const launched = launch(['--import', 'tsx', 'src/server/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...serverEnv(childEnv), PORT: String(port), OUTBOX_DATA_DIR: dataDir },
    });
    current = launched;
    stopping = false;
    launched.child.once('exit', (code, signal) => {
      if (stopping || launched !== current) return;
      const report = `server on port ${port} exited unexpectedly (code ${code}, signal ${signal}):\n${launched.output().slice(-4000)}`;
      unexpected.push(report);
      console.error(`[server-process] ${report}`);
    });
    port = await waitForLine(launched, listeningPort, { what: 'server' });
    url = `http://127.0.0.1:${port}`;
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    stopping = true;
    if (current) await stopChild(current, signal);
  };

  await spawnOnce();
  let stopped = false;
  return {
    get url() {
      return url;
    },
    get pid() {
      return current?.child.pid ?? -1;
    },
    dataDir,
    createUser: (name) => withRepo(dataDir, childEnv, async (repo) => (await addUser(repo, name, Date.now())).token),
    revokeUser: (name) => withRepo(dataDir, childEnv, async (repo) => void (await revokeUser(repo, name, Date.now()))),
    kill,
    restart: async () => {
      await kill('SIGTERM');
      await spawnOnce();
    },
    output: () => earlier + (current?.output() ?? ''),
    unexpectedExits: () => [...unexpected],
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await kill('SIGTERM');
      if (removeOnStop) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
