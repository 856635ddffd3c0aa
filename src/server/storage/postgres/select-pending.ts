/**
 * Configuration → where pending chunks live (ChunkObjects). On S3 + PostgreSQL they go to
 * PostgreSQL by default (pg-chunk-objects.ts: S3 cannot append, so a chunk kept as its own
 * object is sent to S3 twice); OUTBOX_PENDING_CHUNKS=s3 keeps them as S3 objects. Any other
 * pairing (disk, or S3 without a database) keeps the byte store's own chunk store.
 */
import type { PendingChunksSetting } from '../../pending-chunks-config.ts';
import type { ChunkObjects } from '../ports.ts';

/** The ServerConfig fields this reads. */
export interface PendingChunksConfig {
  databaseUrl: string | null;
  s3: object | null;
  pendingChunks: PendingChunksSetting;
}

/** True when pending chunks go to PostgreSQL. */
export function pendingChunksInPostgres(cfg: PendingChunksConfig): boolean {
  return cfg.databaseUrl !== null && cfg.s3 !== null && cfg.pendingChunks !== 's3';
}

/**
 * `storeChunks`: the byte store's own ChunkObjects (openStores' `chunks`, initialised). Returns
 * it unchanged, or an initialised PgChunkObjects on a pool of its own — then `storeChunks` is
 * closed (S3: it releases its share of the node's client). If PostgreSQL cannot be set up,
 * rejects with `storeChunks` left open (the caller closes every store it opened).
 */
export async function openPendingChunks(
  cfg: PendingChunksConfig,
  storeChunks: ChunkObjects,
  log: { info(obj: object, msg?: string): void },
): Promise<ChunkObjects> {
  if (!pendingChunksInPostgres(cfg)) return storeChunks;
  const { PgChunkObjects } = await import('./pg-chunk-objects.ts');
  const pg = PgChunkObjects.open({ connectionString: cfg.databaseUrl! });
  try {
    await pg.init();
  } catch (err) {
    await pg.close().catch(() => {});
    throw err;
  }
  await storeChunks.close();
  // Never the URL itself: it may carry a password.
  log.info({ event: 'storage/pending-chunks', backend: 'postgresql', host: new URL(cfg.databaseUrl!).host });
  return pg;
}
