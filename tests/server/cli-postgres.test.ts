/**
 * `npm run user -- …` against PostgreSQL (OUTBOX_DATABASE_URL): the CLI migrates an empty
 * database, and what it writes is what a PostgreSQL node reads.
 */
import { describe, expect, it } from 'vitest';
import { hashToken } from '../../src/server/ids.ts';
import { PgMetadataRepo } from '../../src/server/storage/postgres/pg-metadata-repo.ts';
import { usePostgres } from '../support/postgres.ts';
import { lastLine, userCli } from '../support/user-cli.ts';

const { cluster } = usePostgres();

describe('user CLI on PostgreSQL', () => {
  it('adds a user, rotates and revokes tokens in the database OUTBOX_DATABASE_URL names, not in the data dir', async () => {
    const url = await cluster().freshDatabase();
    // A data dir that cannot be created: the CLI must not touch it when a database URL is set.
    const env = { OUTBOX_DATABASE_URL: url, OUTBOX_DATA_DIR: '/proc/outbox-must-not-be-used' };
    const added = await userCli(['add', 'dora'], env, true);
    expect(added.code).toBe(0);
    const first = lastLine(added.stdout);
    expect(first).toMatch(/^obx_[A-Za-z0-9_-]{43}$/);
    const repo = await PgMetadataRepo.open({ connectionString: url });
    const dora = await repo.findUserByName('dora');
    expect(dora).not.toBeNull();
    expect(await repo.findUserByTokenHash(hashToken(first))).toEqual(dora);
    expect((await userCli(['add', 'dora'], env)).stderr).toContain('already exists');
    const second = lastLine((await userCli(['token', 'dora'], env)).stdout);
    expect(await repo.findUserByTokenHash(hashToken(first))).toBeNull();
    expect(await repo.findUserByTokenHash(hashToken(second))).toEqual(dora);
    expect((await userCli(['revoke', 'dora'], env)).code).toBe(0);
    expect(await repo.findUserByTokenHash(hashToken(second))).toBeNull();
    await repo.close();
  });

  it('fails with a message, not a stack, when the database is unreachable or the URL is not PostgreSQL', async () => {
    const down = await userCli(['add', 'eve'], { OUTBOX_DATABASE_URL: `postgres://app@127.0.0.1:1/none` });
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toBe('The server is temporarily unavailable.');
    const wrong = await userCli(['add', 'eve'], { OUTBOX_DATABASE_URL: 'mysql://x@127.0.0.1/y' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('OUTBOX_DATABASE_URL must be a postgres:// or postgresql:// URL');
  });
});
