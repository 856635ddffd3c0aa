/**
 * The stores a server opens (storage/select-stores.ts), for tests that wrap one to count or break
 * calls: `intercept(store, { write: … })` answers the given methods itself and passes every other
 * call to the real store. Pass the result to `startTestServer({ dataDir, deps: { stores } })`.
 *
 * `testStores` opens them on the test backend (tests/support/test-backend.ts): disk, or S3 with
 * pending chunks in PostgreSQL on pg-s3 — the same schema and bucket as the server then started
 * on that data directory. `storageProbe` says what a video still holds in either.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/server/config.ts';
import { ingestTmpDir } from '../../src/server/ingest/chunk-ingest.ts';
import type { ChunkObjects, OutputWriter, SmallObjects } from '../../src/server/storage/ports.ts';
import { openPendingChunks } from '../../src/server/storage/postgres/select-pending.ts';
import { openStores } from '../../src/server/storage/select-stores.ts';
import { startTestServer, tempDataDir, testServerConfig, type InProcessOptions, type InProcessTestServer } from './server-process.ts';
import { bucketObjects, sqlOn, type SharedStorage } from './test-backend.ts';

export interface Stores {
  chunks: ChunkObjects;
  output: OutputWriter;
  small: SmallObjects;
}

/** The embedded default's stores (disk) under `dataDir`, as the server would open them. */
export function diskStores(dataDir: string): Promise<Stores> {
  return openStores(loadConfig({ LOG_LEVEL: 'silent', OUTBOX_DATA_DIR: dataDir }), pino({ level: 'silent' }));
}

/** The stores a server on `dataDir` opens on the test backend, as selectStorage opens them. */
export async function testStores(dataDir: string): Promise<Stores> {
  const cfg = await testServerConfig(dataDir, { LOG_LEVEL: 'silent' });
  const log = pino({ level: 'silent' });
  const stores = await openStores(cfg, log);
  return { ...stores, chunks: await openPendingChunks(cfg, stores.chunks, log) };
}

/**
 * A test server on a fresh data directory (removed on stop) whose stores are the test backend's
 * as `wrap` changes them (`intercept` a method to count or break its calls).
 */
export async function startServerWithStores(
  wrap: (stores: Stores) => Partial<Stores>,
  opts: Omit<InProcessOptions, 'dataDir' | 'removeDataDir'> = {},
): Promise<InProcessTestServer> {
  const dataDir = tempDataDir();
  const stores = await testStores(dataDir);
  return startTestServer({ ...opts, dataDir, removeDataDir: true, deps: { ...opts.deps, stores: { ...stores, ...wrap(stores) } } });
}

/** `base` with the methods in `over` replaced; `over`'s functions may call `base` themselves. */
export function intercept<T extends object>(base: T, over: Partial<T>): T {
  return new Proxy(base, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(over, prop)) return (over as Record<PropertyKey, unknown>)[prop];
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Where the embedded default keeps a video's bytes (storage/select-stores.ts + storage/disk/):
 * for tests that check on disk that nothing is left. The one place tests know this layout.
 */
export const diskLayout = (dataDir: string) => ({
  /** Chunk objects of a video (one file per chunk). */
  chunkDir: (videoId: string) => join(dataDir, 'blobs', 'chunks', videoId),
  /** Every video's chunk-object directory. */
  chunksRoot: join(dataDir, 'blobs', 'chunks'),
  /** A video's output file. */
  output: (videoId: string) => join(dataDir, 'blobs', 'videos', videoId),
  /** Every output file. */
  outputsRoot: join(dataDir, 'blobs', 'videos'),
  /** Where ingest receives bodies not held in memory (ingest/chunk-ingest.ts). */
  receiveDir: ingestTmpDir(dataDir),
});

/** What a video still holds in storage, read around the server (not through its ports). */
export interface StorageProbe {
  /** `<index>-<sha256>` of each chunk object the video has in the chunk store, sorted. */
  chunkObjects(videoId: string): Promise<string[]>;
  /** Whether any output bytes of the video are stored: disk its file; S3 its object or an open multipart upload. */
  hasOutput(videoId: string): Promise<boolean>;
}

/** The probe of the server on `dataDir`; `shared` is its pg-s3 storage (null on disk + SQLite). */
export function storageProbe(server: { dataDir: string; shared: SharedStorage | null }): StorageProbe {
  const { shared } = server;
  if (!shared) {
    const layout = diskLayout(server.dataDir);
    const list = (dir: string) => {
      try {
        return readdirSync(dir).sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    };
    return {
      chunkObjects: async (videoId) => list(layout.chunkDir(videoId)),
      hasOutput: async (videoId) => list(layout.outputsRoot).includes(videoId),
    };
  }
  return {
    // Pending chunks live in PostgreSQL by default on S3 + PostgreSQL (select-pending.ts); S3
    // chunk objects are listed too, so OUTBOX_PENDING_CHUNKS=s3 is probed as well.
    async chunkObjects(videoId) {
      const rows = await sqlOn<{ idx: number; sha256: string }>(shared, 'SELECT idx, sha256 FROM chunk_bytes WHERE video_id = $1', [videoId]);
      const prefix = `chunks/${videoId}/`;
      const objects = (await bucketObjects(shared)).filter((o) => o.key.startsWith(prefix)).map((o) => o.key.slice(prefix.length));
      return [...rows.map((r) => `${r.idx}-${r.sha256}`), ...objects].sort();
    },
    async hasOutput(videoId) {
      const key = `videos/${videoId}`;
      if ((await bucketObjects(shared)).some((o) => o.key === key)) return true;
      return (await shared.s3.openUploads(shared.bucket)).some((u) => u.key === key);
    },
  };
}
