/**
 * The stores a server opens (storage/select-stores.ts), for tests that wrap one to count or break
 * calls: `intercept(store, { write: … })` answers the given methods itself and passes every other
 * call to the real store. Pass the result to `buildServer(config, { stores })`.
 */
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/server/config.ts';
import { ingestTmpDir } from '../../src/server/ingest/chunk-ingest.ts';
import type { ChunkObjects, OutputWriter, SmallObjects } from '../../src/server/storage/ports.ts';
import { openStores } from '../../src/server/storage/select-stores.ts';

export interface Stores {
  chunks: ChunkObjects;
  output: OutputWriter;
  small: SmallObjects;
}

/** The embedded default's stores (disk) under `dataDir`, as the server would open them. */
export function diskStores(dataDir: string): Promise<Stores> {
  return openStores(loadConfig({ LOG_LEVEL: 'silent', OUTBOX_DATA_DIR: dataDir }), pino({ level: 'silent' }));
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
