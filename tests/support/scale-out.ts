/**
 * A scale-out deployment for tests: N server processes (src/server/main.ts, through the one
 * launcher via startServerProcess) behind Debian's nginx as a round-robin proxy
 * (tests/support/nginx.ts), all with one `PUBLIC_URL` — the proxy's.
 *
 * With `databaseUrl` and `s3`, every node runs on one PostgreSQL database and one bucket
 * (OUTBOX_DATABASE_URL, OUTBOX_S3_*, AWS_* — docs/SCALE-OUT.md), the s3rver of tests/support/s3.ts
 * running in the test process and reached by the nodes over 127.0.0.1. The nodes start at once on
 * a migrated but empty database and race to create the first user, as an operator's do
 * (src/server/first-user.ts); `createUser` adds test users in PostgreSQL directly. Without them
 * each node has its own disk + SQLite (used to prove the harness on its own: nginx, ports,
 * kill/restart).
 *
 * Ports: the node ports are chosen first, nginx starts over them, then the nodes start with
 * PUBLIC_URL = the proxy, each on its port; a killed node restarts on the same port, so nginx
 * sends to it again once it listens.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { PgMetadataRepo } from '../../src/server/storage/postgres/pg-metadata-repo.ts';
import { addUser } from '../../src/server/users.ts';
import { startNginx, type Nginx, type NginxOptions } from './nginx.ts';
import type { TestS3 } from './s3.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { freePort } from './tcp.ts';
import { sharedStorageEnv } from './storage-env.ts';

export { sharedStorageEnv } from './storage-env.ts';

export interface ScaleOutOptions {
  nodes: number;
  /** PostgreSQL for every node (e.g. `usePostgres().cluster().freshDatabase()`); else SQLite per node. */
  databaseUrl?: string;
  /** One bucket for every node; else disk per node. */
  s3?: TestS3;
  /** Where the nodes reach the bucket, when not s3rver directly (a counting proxy: s3-counter.ts). */
  s3Endpoint?: string;
  /** Extra environment for every node (callers' values win over the harness's). */
  env?: Record<string, string>;
  /** The proxy's options (e.g. chunks alternated between the first two nodes by index). */
  proxy?: NginxOptions;
}

export interface ScaleOut {
  /** The proxy's URL: PUBLIC_URL of every node, and where clients talk. */
  url: string;
  proxy: Nginx;
  nodes: ServerProcess[];
  /** The environment the nodes run with (without the per-node PORT/OUTBOX_DATA_DIR). */
  env: Record<string, string>;
  /**
   * Creates a user and returns its token: in PostgreSQL when shared; else on every node's own
   * SQLite (one token per node, in node order, since the nodes share nothing).
   */
  createUser(name: string): Promise<string[]>;
  /** Runs SQL on the shared database (throws without one). */
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Every object key under `prefix` in the shared bucket (throws without one). */
  objectKeys(prefix: string): Promise<string[]>;
  /** kill -9 of node i; resolves once it has exited. */
  kill(i: number): Promise<void>;
  /** Starts node i again on its port (after kill or as a SIGTERM restart); resolves once it listens. */
  restart(i: number): Promise<void>;
  /** Every node's exits nobody asked for (a crash), with their output: none is expected. */
  unexpectedExits(): string[];
  stop(): Promise<void>;
}

export async function startScaleOut(opts: ScaleOutOptions): Promise<ScaleOut> {
  const ports = await Promise.all(Array.from({ length: opts.nodes }, () => freePort()));
  const proxy = await startNginx(ports, opts.proxy);
  const nodes: ServerProcess[] = [];
  const db = opts.databaseUrl ? new pg.Pool({ connectionString: opts.databaseUrl, max: 2 }) : null;
  db?.on('error', () => {});
  const env = { ...sharedStorageEnv(opts.databaseUrl, opts.s3, opts.s3Endpoint), PUBLIC_URL: proxy.url, ...opts.env };
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await proxy.stop();
    await db?.end();
  };
  try {
    if (opts.databaseUrl) {
      // Migrates the database once here, so the nodes start on a ready schema with a user in it.
      const repo = await PgMetadataRepo.open({ connectionString: opts.databaseUrl, max: 1 });
      await repo.close();
    }
    nodes.push(...(await Promise.all(ports.map((port) => startServerProcess({ port, env })))));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: proxy.url,
    proxy,
    nodes,
    env,
    async createUser(name) {
      if (!opts.databaseUrl) return Promise.all(nodes.map((n) => n.createUser(name)));
      const repo = await PgMetadataRepo.open({ connectionString: opts.databaseUrl, max: 1 });
      try {
        return [(await addUser(repo, name, Date.now())).token];
      } finally {
        await repo.close();
      }
    },
    async sql(text, params) {
      if (!db) throw new Error('scale-out: no shared database');
      return (await db.query(text, params)).rows;
    },
    async objectKeys(prefix) {
      const s3 = opts.s3;
      if (!s3) throw new Error('scale-out: no shared bucket');
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix, ContinuationToken: token }));
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    kill: (i) => nodes[i]!.kill('SIGKILL'),
    restart: (i) => nodes[i]!.restart(),
    unexpectedExits: () => nodes.flatMap((n) => n.unexpectedExits()),
    stop,
  };
}
