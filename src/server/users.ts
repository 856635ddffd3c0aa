/**
 * User and token administration, shared by the CLI, first-start bootstrap and test helpers.
 * The plain token is returned once and never stored (only its SHA-256, see ids.ts).
 */
import { hashToken, newId, newToken } from './ids.ts';
import type { MetadataRepo, User } from './storage/metadata-repo.ts';

export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;

export class UserAdminError extends Error {
  constructor(
    readonly reason: 'invalid_name' | 'exists' | 'unknown_user',
    message: string,
  ) {
    super(message);
    this.name = 'UserAdminError';
  }
}

export async function addUser(repo: MetadataRepo, name: string, now: number): Promise<{ user: User; token: string }> {
  if (!USER_NAME.test(name)) throw new UserAdminError('invalid_name', `invalid user name ${JSON.stringify(name)} (letters, digits, _.@-; up to 64)`);
  if (await repo.findUserByName(name)) throw new UserAdminError('exists', `user ${name} already exists`);
  const user = await repo.createUser(newId(), name, now);
  const token = newToken();
  await repo.addToken(user.id, hashToken(token), now);
  return { user, token };
}

/** Revokes the user's tokens and issues a fresh one. */
export async function rotateToken(repo: MetadataRepo, name: string, now: number): Promise<string> {
  const user = await repo.findUserByName(name);
  if (!user) throw new UserAdminError('unknown_user', `no user named ${name}`);
  await repo.revokeTokens(user.id, now);
  const token = newToken();
  await repo.addToken(user.id, hashToken(token), now);
  return token;
}

export async function revokeUser(repo: MetadataRepo, name: string, now: number): Promise<number> {
  const user = await repo.findUserByName(name);
  if (!user) throw new UserAdminError('unknown_user', `no user named ${name}`);
  return repo.revokeTokens(user.id, now);
}
