/**
 * What the ingest modules share: storage ports, the per-video lock, the clock and the logger.
 * Built once in app.ts; tests build it with an instrumented BlobStore or a fake clock.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { KeyedMutex } from '../keyed-mutex.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { MetadataRepo } from '../storage/metadata-repo.ts';
import type { Assembler } from './assembler.ts';
import type { MemoryBudget } from './memory-budget.ts';

export interface IngestContext {
  config: ServerConfig;
  repo: MetadataRepo;
  blobs: BlobStore;
  assembler: Assembler;
  /** Serialises everything that changes one video's state (key: videoId). */
  locks: KeyedMutex;
  clock: () => number;
  /** Chunk bodies held in memory, capped in total and per user. */
  memory: MemoryBudget;
  log: FastifyBaseLogger;
  /** Origin for shareUrl/videoUrl, without trailing slash. */
  publicUrl: () => string;
}
