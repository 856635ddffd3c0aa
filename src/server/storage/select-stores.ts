/**
 * Configuration → the three stores. INTERIM (s4-core): disk only, under the data directory, until
 * s4-stores' version (with S3) replaces this file.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../config.ts';
import { DiskChunkObjects } from './disk/disk-chunk-objects.ts';
import { DiskOutputWriter } from './disk/disk-output-writer.ts';
import { DiskSmallObjects } from './disk/disk-small-objects.ts';
import type { ChunkObjects, OutputWriter, SmallObjects } from './ports.ts';

export async function openStores(cfg: ServerConfig, _log: FastifyBaseLogger): Promise<{ chunks: ChunkObjects; output: OutputWriter; small: SmallObjects }> {
  return { chunks: new DiskChunkObjects(cfg.dataDir), output: new DiskOutputWriter(cfg.dataDir), small: new DiskSmallObjects(cfg.dataDir) };
}
