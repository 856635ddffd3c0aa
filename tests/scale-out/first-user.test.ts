/**
 * Nodes that start at once on one new PostgreSQL database each try to create the first user
 * (src/server/first-user.ts): exactly one does, the others find it, and none fails — a loser
 * used to exit (its insert hit the unique name after the server listened), which nginx hid.
 * - The function: each "node" is its own repository and locker (own pools, own connections), as
 *   separate processes have; several rounds, each on a fresh database, since it is a race.
 * - The processes: three real nodes started at once on an empty database all log their
 *   bootstrap, exactly one created the user and printed the link, and none exited.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ensureFirstUser, FIRST_USER_NAME } from '../../src/server/first-user.ts';
import { PgLocker } from '../../src/server/storage/postgres/pg-locker.ts';
import { PgMetadataRepo } from '../../src/server/storage/postgres/pg-metadata-repo.ts';
import { usePostgres } from '../support/postgres.ts';
import { startScaleOut, type ScaleOut } from '../support/scale-out.ts';

const { cluster } = usePostgres();
const ROUNDS = 6;
const NODES = 4;

describe('the first user, with several nodes starting at once on one new database', () => {
  it(`is created by exactly one of ${NODES} nodes, and no node fails (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const url = await cluster().freshDatabase();
      const nodes = await Promise.all(
        Array.from({ length: NODES }, async () => ({ repo: await PgMetadataRepo.open({ connectionString: url, max: 2 }), locker: PgLocker.open({ connectionString: url, max: 2 }) })),
      );
      try {
        const results = await Promise.allSettled(nodes.map((n) => ensureFirstUser(n.repo, n.locker, Date.now())));
        const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
        expect(failures, `round ${round}`).toEqual([]);
        const tokens = results.flatMap((r) => (r.status === 'fulfilled' && r.value !== null ? [r.value] : []));
        expect(tokens.length, `round ${round}`).toBe(1);
        expect(await nodes[0]!.repo.countUsers()).toBe(1);
        expect((await nodes[0]!.repo.findUserByName(FIRST_USER_NAME))?.name).toBe(FIRST_USER_NAME);
      } finally {
        await Promise.all(nodes.map(async (n) => (await n.locker.close(), await n.repo.close())));
      }
    }
  }, 120_000);

  describe('three server processes', () => {
    let lb: ScaleOut | undefined;
    afterAll(() => lb?.stop());

    it('all stay up; one created the user and printed the link', async () => {
      lb = await startScaleOut({ nodes: 3, databaseUrl: await cluster().freshDatabase() });
      const bootstraps = () => lb!.nodes.map((n) => n.output().split('\n').filter((l) => l.includes('"user/bootstrap"')));
      // Each node logs its bootstrap once it is done, whichever way (a condition, bounded).
      for (let tries = 0; bootstraps().some((lines) => lines.length === 0) && lb.unexpectedExits().length === 0; tries++) {
        if (tries > 600) throw new Error(`no bootstrap line from every node:\n${lb.nodes.map((n) => n.output().slice(-2000)).join('\n---\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(lb.unexpectedExits()).toEqual([]);
      const created = bootstraps().map((lines) => (JSON.parse(lines[0]!) as { created: boolean }).created);
      expect(created.filter(Boolean).length, JSON.stringify(created)).toBe(1);
      expect(lb.nodes.filter((n) => n.output().includes('First user "owner" created')).length).toBe(1);
      expect(await lb.sql('SELECT name FROM users')).toEqual([{ name: FIRST_USER_NAME }]);
    }, 60_000);
  });
});
