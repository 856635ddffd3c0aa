/**
 * Which storage `startTestServer` gives its servers: disk + SQLite by default, or PostgreSQL + S3
 * when `OUTBOX_TEST_BACKEND=pg-s3` (the vitest project `server-pg-s3`), so the same server API
 * tests prove both backends through the configuration the real server reads
 * (OUTBOX_DATABASE_URL, OUTBOX_S3_* — docs/SCALE-OUT.md).
 *
 * On pg-s3 a test file gets one PostgreSQL cluster and one s3rver, started when its first server
 * starts (so files that never start a server pay nothing) and stopped by an afterAll hook of the
 * file, registered when this module is imported; every server gets a fresh schema and a fresh
 * bucket — unless it is started again on the data directory of an earlier one (a restart), which
 * then keeps that server's schema and bucket, as a restarted node keeps its database and bucket.
 */
import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { afterAll } from 'vitest';
import { startPgCluster, type PgCluster } from './pg-cluster.ts';
import { startS3, type TestS3 } from './s3.ts';
import { sharedStorageEnv } from './storage-env.ts';

export type TestBackend = 'disk-sqlite' | 'pg-s3';

export function testBackend(): TestBackend {
  const v = process.env.OUTBOX_TEST_BACKEND?.trim() ?? '';
  if (v === '' || v === 'disk-sqlite') return 'disk-sqlite';
  if (v === 'pg-s3') return 'pg-s3';
  throw new Error(`OUTBOX_TEST_BACKEND must be pg-s3 or disk-sqlite (or unset), got ${JSON.stringify(v)}`);
}

/** Where one server's metadata and bytes live on pg-s3. */
export interface SharedStorage {
  databaseUrl: string;
  bucket: string;
  s3: TestS3;
  /** OUTBOX_DATABASE_URL, OUTBOX_S3_* for the server's configuration. */
  env: Record<string, string>;
}

let services: Promise<{ cluster: PgCluster; s3: TestS3 }> | null = null;
const byDataDir = new Map<string, SharedStorage>();
let buckets = 0;

if (testBackend() === 'pg-s3') {
  afterAll(async () => {
    const running = services;
    services = null;
    byDataDir.clear();
    if (!running) return;
    const { cluster, s3 } = await running;
    await Promise.allSettled([cluster.stop(), s3.stop()]);
  });
}

function start(): Promise<{ cluster: PgCluster; s3: TestS3 }> {
  services ??= (async () => {
    const [cluster, s3] = await Promise.allSettled([startPgCluster(), startS3()]);
    if (cluster.status === 'fulfilled' && s3.status === 'fulfilled') return { cluster: cluster.value, s3: s3.value };
    if (cluster.status === 'fulfilled') await cluster.value.stop();
    if (s3.status === 'fulfilled') await s3.value.stop();
    throw cluster.status === 'rejected' ? cluster.reason : (s3 as PromiseRejectedResult).reason;
  })();
  return services;
}

/** The storage of the server on `dataDir`: the one it had before, or a fresh schema and bucket. */
export async function sharedStorageFor(dataDir: string): Promise<SharedStorage> {
  const known = byDataDir.get(dataDir);
  if (known) return known;
  const { cluster, s3 } = await start();
  const databaseUrl = await cluster.freshDatabase();
  const bucket = `outbox-server-${++buckets}`;
  await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
  const env = sharedStorageEnv(databaseUrl, { ...s3, bucket });
  // The in-process server's S3 client reads its credentials from the SDK's default chain, i.e.
  // this process's environment (src/server/storage/s3/client.ts), as a deployed node does.
  process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
  const storage = { databaseUrl, bucket, s3, env };
  byDataDir.set(dataDir, storage);
  return storage;
}

/** Every object in the server's bucket, with its size. */
export async function bucketObjects(storage: SharedStorage): Promise<{ key: string; size: number }[]> {
  const keys: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await storage.s3.client.send(new ListObjectsV2Command({ Bucket: storage.bucket, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? -1 })));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Runs one query on the server's database (its schema, through the URL's search_path). */
export async function sqlOn<R extends pg.QueryResultRow>(storage: SharedStorage, text: string, params?: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: storage.databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end();
  }
}
