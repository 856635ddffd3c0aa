/**
 * What the ingest modules share: the metadata repository (the truth), the three stores that
 * only store (storage/ports.ts), the per-video Locker, the clock and the logger. Built once in
 * app.ts from storage/select.ts; tests wrap a store to count or break calls.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { Sha256Service } from '../hashing/sha256-service.ts';
import type { Locker } from '../storage/locker.ts';
import type { MetadataRepo } from '../storage/metadata-repo.ts';
import type { ChunkObjects, OutputWriter, SmallObjects } from '../storage/ports.ts';
import type { MemoryBudget } from './memory-budget.ts';

export interface IngestContext {
  config: ServerConfig;
  /** Users, videos, chunk rows and the output ledger (compare-and-set steps across nodes). */
  repo: MetadataRepo;
  /** Verified chunks not (yet) part of a recorded output segment. */
  chunks: ChunkObjects;
  /** The assembled output, written as planned segments. */
  output: OutputWriter;
  /** Served head and poster. */
  small: SmallObjects;
  /** Serialises the steps that change one video's state (key: videoId), on one node or many. */
  locker: Locker;
  clock: () => number;
  /** Chunk bodies held in memory, capped in total and per user (per process). */
  memory: MemoryBudget;
  log: FastifyBaseLogger;
  /** Origin for shareUrl/videoUrl, without trailing slash. */
  publicUrl: () => string;
  /** Hashing off the event loop, for the after-completion job (recorded and served digests). */
  sha256: Sha256Service;
}
