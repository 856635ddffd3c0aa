/**
 * Configuration → the metadata repository. INTERIM (s4-core): SQLite only, until s4-ledger's
 * version (with PostgreSQL) replaces this file.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { ServerConfig } from '../config.ts';
import { databaseFile } from '../paths.ts';
import type { MetadataRepo } from './metadata-repo.ts';
import { SqliteMetadataRepo } from './sqlite-metadata-repo.ts';

export async function openMetadataRepo(cfg: ServerConfig, _log: FastifyBaseLogger): Promise<MetadataRepo> {
  return new SqliteMetadataRepo(databaseFile(cfg.dataDir));
}
