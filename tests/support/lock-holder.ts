/**
 * A separate node process that takes a PgLocker lock and holds it until killed:
 * `node --import tsx tests/support/lock-holder.ts <databaseUrl> <key>` prints `held` once it
 * holds the lock. Used to prove exclusion across processes and release on kill -9.
 */
import { PgLocker } from '../../src/server/storage/postgres/pg-locker.ts';

const [url, key] = process.argv.slice(2);
if (!url || !key) throw new Error('usage: lock-holder.ts <databaseUrl> <key>');
const locker = PgLocker.open({ connectionString: url });
await locker.withLock(key, async (lost) => {
  process.stdout.write('held\n');
  await new Promise((resolve) => lost.addEventListener('abort', resolve));
});
