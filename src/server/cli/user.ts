/**
 * User administration: `npm run user -- add <name>` | `token <name>` | `revoke <name>`.
 * Works on the server's database: PostgreSQL when OUTBOX_DATABASE_URL is set, else the SQLite
 * file in OUTBOX_DATA_DIR (default ./data) — also while servers run (SQLite WAL; PostgreSQL).
 * `add` and `token` print the new token as the last line of output, alone, for scripts.
 */
import { loadConfig } from '../config.ts';
import { openMetadataRepo } from '../storage/open-metadata.ts';
import { addUser, revokeUser, rotateToken, UserAdminError } from '../users.ts';

const USAGE = 'usage: npm run user -- add <name> | token <name> | revoke <name>';

async function run(argv: string[]): Promise<number> {
  const [command, name, ...rest] = argv;
  if (!command || !name || rest.length > 0 || !['add', 'token', 'revoke'].includes(command)) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  // stdout carries the token for scripts: the opening is not logged.
  const repo = await openMetadataRepo(config, { info: () => {} });
  try {
    const now = Date.now();
    if (command === 'add') {
      const { token } = await addUser(repo, name, now);
      process.stdout.write(`Created user ${name}. Sign in with the token below (shown once).\n${token}\n`);
    } else if (command === 'token') {
      const token = await rotateToken(repo, name, now);
      process.stdout.write(`New token for ${name}; earlier tokens are revoked.\n${token}\n`);
    } else {
      const n = await revokeUser(repo, name, now);
      process.stdout.write(`Revoked ${n} token(s) of ${name}.\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof UserAdminError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await repo.close();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
