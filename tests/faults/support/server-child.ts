/**
 * The real server entry (src/server/main.ts) as a child process that can be killed with SIGKILL
 * and restarted on the same data directory many times a minute.
 *
 * Started and awaited through tests/support/launcher.ts like every server child. Why not
 * tests/support/server-process.ts's `startServerProcess`: it starts through
 * `node --import tsx`, which transpiles the whole server on every start (2–8 s per start on this
 * shared 2-core machine), so a 50-kill soak would take minutes. Here the same source is bundled
 * once per test file with esbuild (already installed as tsx's dependency) into one ESM file;
 * better-sqlite3 stays external because it is a native addon. Every restart then costs a plain
 * `node server.mjs` start. The code under test is unchanged: same modules, same entry.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { databaseFile } from '../../../src/server/paths.ts';
import { SqliteMetadataRepo } from '../../../src/server/storage/sqlite-metadata-repo.ts';
import { addUser } from '../../../src/server/users.ts';
import { launch, listeningPort, stopChild, waitForLine, type Launched } from '../../support/launcher.ts';
import { serverEnv } from '../../support/server-process.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
/** Inside the project so the bundle resolves better-sqlite3 from node_modules; gitignored. */
const OUT_DIR = join(ROOT, 'tests', '.tmp');

/**
 * Entry of the bundle: loads the heavy dependencies at once, then waits for one line on stdin
 * before importing the real entry (src/server/main.ts), which starts the server. A standby
 * process can so be spawned while the previous server still runs — like a supervisor keeping a
 * warm spare — without touching the data directory until it is told to start.
 */
const WARM_ENTRY = `
import * as fastify from 'fastify';
import * as pino from 'pino';
import * as zod from 'zod';
import * as fastifyStatic from '@fastify/static';
import Database from 'better-sqlite3';
(globalThis as Record<string, unknown>).__faultsWarm = [fastify, pino, zod, fastifyStatic, Database];
process.stdin.once('data', () => {
  process.stdin.pause();
  void import('./src/server/main.ts');
});
`;

/** Bundles the server once; returns the entry file to spawn (its chunks sit beside it). */
export async function bundleServer(): Promise<string> {
  const { build } = await import('esbuild');
  const outdir = join(OUT_DIR, `fault-server-${process.pid}-${Date.now()}`);
  mkdirSync(outdir, { recursive: true });
  await build({
    stdin: { contents: WARM_ENTRY, resolveDir: ROOT, sourcefile: 'fault-server-entry.ts', loader: 'ts' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    outdir,
    entryNames: 'entry',
    logLevel: 'error',
    // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
    banner: { js: "import { createRequire as __faultsCreateRequire } from 'node:module'; const require = __faultsCreateRequire(import.meta.url);" },
  });
  // The hashing worker is loaded by URL next to its importer, not bundled (worker-sha256.ts).
  copyFileSync(join(ROOT, 'src', 'server', 'hashing', 'sha256-worker.mjs'), join(outdir, 'sha256-worker.mjs'));
  return join(outdir, 'entry.js');
}

export interface ServerChild {
  readonly url: string;
  readonly dataDir: string;
  /** How many processes were started (1 + restarts). */
  readonly starts: number;
  createUser(name: string): Promise<string>;
  /** SIGKILL (default) and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again on the same data directory (after a kill). */
  start(): Promise<void>;
  output(): string;
  stop(): Promise<void>;
  removeBundle(): void;
}

export async function startServerChild(opts: { bundle: string; dataDir: string; env?: Record<string, string> }): Promise<ServerChild> {
  let current: Launched | null = null;
  let standby: Launched | null = null;
  let earlier = '';
  let url = '';
  let starts = 0;

  const spawnIdle = (): Launched =>
    launch([opts.bundle], { cwd: ROOT, env: { ...process.env, ...serverEnv(opts.env), PORT: '0', OUTBOX_DATA_DIR: opts.dataDir }, stdin: 'pipe' });

  const start = async (): Promise<void> => {
    if (current) earlier += current.output();
    current = standby ?? spawnIdle();
    standby = null;
    starts++;
    current.child.stdin!.write('go\n');
    url = `http://127.0.0.1:${await waitForLine(current, listeningPort, { what: 'bundled server' })}`;
    // The next start takes over a process that has already loaded its modules.
    standby = spawnIdle();
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (current) await stopChild(current, signal);
  };

  await start();
  return {
    get url() {
      return url;
    },
    get starts() {
      return starts;
    },
    dataDir: opts.dataDir,
    createUser: async (name) => {
      // WAL lets this connection write beside the running server (see sqlite-metadata-repo.ts).
      const repo = new SqliteMetadataRepo(databaseFile(opts.dataDir));
      try {
        return (await addUser(repo, name, Date.now())).token;
      } finally {
        await repo.close();
      }
    },
    kill,
    start,
    output: () => earlier + (current?.output() ?? ''),
    stop: async () => {
      if (standby) await stopChild(standby, 'SIGKILL');
      standby = null;
      await kill('SIGTERM');
    },
    removeBundle: () => rmSync(dirname(opts.bundle), { recursive: true, force: true }),
  };
}
