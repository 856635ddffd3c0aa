/**
 * PostgreSQL in tests: `usePostgres()` registers beforeAll/afterAll in the calling test file —
 * one throwaway cluster per file (tests/support/pg-cluster.ts), a fresh namespace per
 * `freshDatabase()` call, and nothing left behind afterwards. Missing binaries fail the file.
 */
import { afterAll, beforeAll } from 'vitest';
import { startPgCluster, type PgCluster, type PgClusterOptions } from './pg-cluster.ts';

export { startPgCluster, type PgCluster, type PgClusterOptions } from './pg-cluster.ts';

/** One cluster for the calling test file; `cluster()` is valid inside tests and hooks. */
export function usePostgres(opts: PgClusterOptions = {}): { cluster: () => PgCluster } {
  let cluster: PgCluster | null = null;
  beforeAll(async () => {
    cluster = await startPgCluster(opts);
  });
  afterAll(async () => {
    await cluster?.stop();
    cluster = null;
  });
  return {
    cluster: () => {
      if (!cluster) throw new Error('usePostgres: the cluster is not running (called outside a test?)');
      return cluster;
    },
  };
}
