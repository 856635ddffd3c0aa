import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { InProcessLocker } from '../../src/server/storage/in-process/in-process-locker.ts';
import { advisoryKey, PgLocker } from '../../src/server/storage/postgres/pg-locker.ts';
import { usePostgres } from '../support/postgres.ts';
import { runLockerContract, type LockerNodes } from './locker.contract.ts';

runLockerContract('InProcessLocker', async () => {
  const locker = new InProcessLocker();
  // KeyedMutex queues a caller synchronously, so a second caller is blocked as soon as it calls.
  return { a: locker, b: locker, untilBlocked: async () => {}, close: () => locker.close() };
});

const { cluster } = usePostgres();
let raw: pg.Client | null = null;

/** Two API nodes: two PgLockers, each with its own pool, on one database. */
async function pgNodes(): Promise<LockerNodes & { raw: pg.Client }> {
  const url = await cluster().freshDatabase();
  const a = PgLocker.open({ connectionString: url });
  const b = PgLocker.open({ connectionString: url });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  raw = client;
  return {
    a,
    b,
    raw: client,
    async untilBlocked(gaveUp) {
      while (!gaveUp()) {
        const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        if (rows[0].n > 0) return;
        await new Promise((r) => setImmediate(r));
      }
    },
    async close() {
      await Promise.all([a.close(), b.close()]);
      await client.end();
      raw = null;
    },
  };
}

// Inside the lock, two round trips to the database: long enough for the other node's attempt to
// reach the server, so a locker that did not exclude would be caught with two holders inside.
runLockerContract('PgLocker (two pools = two nodes)', pgNodes, async () => {
  await raw!.query('SELECT 1');
  await raw!.query('SELECT 1');
});

describe('PgLocker specifics', () => {
  it('hashes keys to distinct signed 64-bit integers', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `video-${i}`);
    const hashed = new Set(keys.map(advisoryKey));
    expect(hashed.size).toBe(1000);
    for (const h of hashed) expect(BigInt(h) >= -(2n ** 63n) && BigInt(h) < 2n ** 63n).toBe(true);
    expect(advisoryKey('video-1')).toBe(advisoryKey('video-1'));
  });

  it('when the holder’s connection dies, fn learns it lost the lock and the waiting node enters', async () => {
    const { a, b, raw: db, untilBlocked, close } = await pgNodes();
    let enter!: () => void;
    const entered = new Promise<void>((r) => (enter = r));
    let lostReason: unknown = null;
    const holder = a.withLock('video-9', (lost) => {
      enter();
      return new Promise<void>((resolve) => lost.addEventListener('abort', () => {
        lostReason = lost.reason;
        resolve();
      }));
    });
    await entered;
    let bIn = false;
    const waiter = b.withLock('video-9', async () => {
      bIn = true;
    });
    await untilBlocked(() => bIn);
    expect(bIn).toBe(false);
    // The node holding the lock vanishes from the database's point of view (crash, network cut).
    await db.query("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted");
    await waiter;
    expect(bIn).toBe(true);
    await holder;
    expect(lostReason).toMatchObject({ code: 'service_unavailable' });
    // The dead connection was dropped from the pool: the node can lock again.
    expect(await a.withLock('video-9', async () => 'again')).toBe('again');
    await close();
  });

  it('excludes across processes, and a holder killed with SIGKILL releases the lock', async () => {
    const url = await cluster().freshDatabase();
    const other = PgLocker.open({ connectionString: url });
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../support/lock-holder.ts'), url, 'video-10'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = once(child, 'exit');
    try {
      let out = '';
      for await (const chunk of child.stdout) {
        out += String(chunk);
        if (out.includes('held')) break;
      }
      expect(out).toContain('held');
      let entered = false;
      const waiter = other.withLock('video-10', async () => {
        entered = true;
      });
      // Same database as the child: wait until our request is queued behind its lock.
      const probe = new pg.Client({ connectionString: url });
      await probe.connect();
      while (!entered) {
        const { rows } = await probe.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
        if (rows[0].n > 0) break;
        await new Promise((r) => setImmediate(r));
      }
      await probe.end();
      expect(entered).toBe(false);
      child.kill('SIGKILL');
      await waiter;
      expect(entered).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await exited;
      await other.close();
    }
  });

  it('an unreachable database fails withLock as service_unavailable', async () => {
    const locker = PgLocker.open({ connectionString: 'postgres://app@127.0.0.1:1/none', connectionTimeoutMillis: 2000 });
    await expect(locker.withLock('v', async () => 1)).rejects.toMatchObject({ code: 'service_unavailable' });
    await locker.close();
  });
});
