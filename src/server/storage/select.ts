/**
 * Configuration → the storage the server runs on: the metadata repository (SQLite under the
 * data directory, or PostgreSQL with OUTBOX_DATABASE_URL), the three stores (disk, or S3 with
 * OUTBOX_S3_BUCKET) and the per-video Locker that matches the database: in-process for SQLite
 * (one process owns the file), PostgreSQL advisory locks when several nodes share a database.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../config.ts';
import { InProcessLocker } from './in-process/in-process-locker.ts';
import type { Locker } from './locker.ts';
import type { MetadataRepo } from './metadata-repo.ts';
import { openMetadataRepo } from './open-metadata.ts';
import { openPendingChunks, pendingChunksInPostgres } from './postgres/select-pending.ts';
import type { ChunkObjects, OutputWriter, SmallObjects } from './ports.ts';
import { openStores } from './select-stores.ts';

export interface Storage {
  repo: MetadataRepo;
  chunks: ChunkObjects;
  output: OutputWriter;
  small: SmallObjects;
  locker: Locker;
}

export interface StorageOverrides {
  repo?: MetadataRepo;
  stores?: { chunks: ChunkObjects; output: OutputWriter; small: SmallObjects };
  locker?: Locker;
}

/** Opens what `cfg` selects (anything in `overrides` is used as given: tests wrap stores). */
export async function selectStorage(cfg: ServerConfig, log: FastifyBaseLogger, overrides: StorageOverrides = {}): Promise<Storage> {
  const { databaseUrl, s3 } = cfg;
  const repo = overrides.repo ?? (await openMetadataRepo(cfg, log));
  try {
    const stores = overrides.stores ?? (await openStores(cfg, log));
    if (!overrides.stores) {
      try {
        stores.chunks = await openPendingChunks(cfg, stores.chunks, log);
      } catch (err) {
        await Promise.allSettled([stores.chunks.close(), stores.output.close(), stores.small.close()]);
        throw err;
      }
    }
    const locker = overrides.locker ?? (databaseUrl ? (await import('./postgres/pg-locker.ts')).PgLocker.open({ connectionString: databaseUrl }) : new InProcessLocker());
    log.info({
      event: 'storage/selected',
      metadata: databaseUrl ? 'postgresql' : 'sqlite',
      objects: s3 ? 's3' : 'disk',
      pendingChunks: pendingChunksInPostgres(cfg) ? 'postgresql' : s3 ? 's3' : 'disk',
      locker: databaseUrl ? 'postgresql' : 'in-process',
    });
    return { repo, ...stores, locker };
  } catch (err) {
    await repo.close().catch(() => {});
    throw err;
  }
}

/** Closes everything `selectStorage` opened, the locker first (it waits for held locks). */
export async function closeStorage(s: Storage): Promise<void> {
  await s.locker.close();
  await Promise.allSettled([s.chunks.close(), s.output.close(), s.small.close()]);
  await s.repo.close();
}
