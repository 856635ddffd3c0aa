import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteMetadataRepo } from '../../src/server/storage/sqlite-metadata-repo.ts';
import { runOutputLedgerContract } from './output-ledger.contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'outbox-ledger-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runOutputLedgerContract('SqliteMetadataRepo', {
  fresh: async () => new SqliteMetadataRepo(join(dir, `db${++n}.sqlite`)),
  twoNodes: async () => {
    const file = join(dir, `db${++n}.sqlite`);
    return [new SqliteMetadataRepo(file), new SqliteMetadataRepo(file)];
  },
});
