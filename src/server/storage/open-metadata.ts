/**
 * Configuration → the metadata repository: SQLite in `cfg.dataDir` (the embedded default, one
 * node) unless `cfg.databaseUrl` names a PostgreSQL database (many nodes). Either way the
 * schema is migrated before this resolves; on PostgreSQL under an advisory lock, so nodes that
 * start together migrate once (postgres/migrations.ts).
 */
import type { ServerConfig } from '../config.ts';
import { databaseFile } from '../paths.ts';
import type { MetadataRepo } from './metadata-repo.ts';
import { SqliteMetadataRepo } from './sqlite-metadata-repo.ts';

/** The one log call this makes (pino's and fastify's loggers fit). */
export interface OpenLog {
  info(obj: object, msg?: string): void;
}

export async function openMetadataRepo(cfg: Pick<ServerConfig, 'dataDir' | 'databaseUrl'>, log: OpenLog): Promise<MetadataRepo> {
  if (cfg.databaseUrl !== null) {
    // Loaded only when selected (pg's driver is heap an SQLite node need not carry).
    const { PgMetadataRepo } = await import('./postgres/pg-metadata-repo.ts');
    const repo = await PgMetadataRepo.open({ connectionString: cfg.databaseUrl });
    // Never the URL itself: it may carry a password.
    log.info({ event: 'metadata/opened', engine: 'postgresql', host: new URL(cfg.databaseUrl).host });
    return repo;
  }
  const file = databaseFile(cfg.dataDir);
  const repo = new SqliteMetadataRepo(file);
  log.info({ event: 'metadata/opened', engine: 'sqlite', file });
  return repo;
}
