/**
 * The first user of an empty database, created at start-up so that whoever ran `npm start` gets
 * a sign-in link. Several nodes may start at once on one new database (docs/SCALE-OUT.md): the
 * count and the insert run under one lock that holds across nodes (the Locker port), so exactly
 * one node creates `owner` and the others find a user and create none. Without the lock two
 * nodes both count zero, and the loser's insert fails on the unique name.
 */
import type { MetadataRepo } from './storage/metadata-repo.ts';
import type { Locker } from './storage/ports.ts';
import { addUser } from './users.ts';

/** The lock's key; video ids are 22 base64url characters, so it never names a video. */
export const FIRST_USER_LOCK = 'bootstrap:first-user';
export const FIRST_USER_NAME = 'owner';

/** Creates the first user if the database has none; returns its token, or null if one existed. */
export function ensureFirstUser(repo: MetadataRepo, locker: Pick<Locker, 'withLock'>, now: number): Promise<string | null> {
  return locker.withLock(FIRST_USER_LOCK, async () => {
    if ((await repo.countUsers()) > 0) return null;
    return (await addUser(repo, FIRST_USER_NAME, now)).token;
  });
}
