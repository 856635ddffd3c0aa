/**
 * `node --import tsx bench/metadata-insert.ts [chunks=1500]` — a side measurement, not part of
 * `npm run bench`: per-chunk metadata write latency of PgMetadataRepo (a durable throwaway
 * cluster on 127.0.0.1, fsync and synchronous_commit on) against SqliteMetadataRepo (a file in a
 * temp dir, as the server runs it), same run, same machine. Sequential in-order writes
 * (recordSegment with its chunk: the fast path, one segment per chunk as on disk, durable on
 * both engines) and out-of-order writes (insertChunk), then 8 videos of
 * one user at once; the `…Quota` rows repeat them with the server's default limits (checked in
 * the write's transaction: on PostgreSQL that locks the user's row, so one user's 8 uploads
 * commit one after another). Prints p50/p95 in ms and the PG/SQLite ratio.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ByteLimits, MetadataRepo } from '../src/server/storage/metadata-repo.ts';
import { PgMetadataRepo } from '../src/server/storage/postgres/pg-metadata-repo.ts';
import { SqliteMetadataRepo } from '../src/server/storage/sqlite-metadata-repo.ts';
import { startPgCluster } from '../tests/support/pg-cluster.ts';

const N = Number(process.argv[2] ?? 1500);
const GiB = 1024 ** 3;
/** The server's defaults (src/server/config.ts): checked, never refusing below ~13,000 chunks. */
const LIMITS: ByteLimits = { userBytes: 20 * GiB, recordingBytes: 8 * GiB };
/** Chunk i as the disk writer plans it: segment i + 1, no ETag. */
const segment = (i: number) => ({ number: i + 1, first: i, end: i + 1, offset: i * 625_000, bytes: 625_000, etag: null });
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function measure(repo: MetadataRepo, tag: string) {
  const out: Record<string, number[]> = {};
  for (const [suffix, limits] of [['', undefined], ['Quota', LIMITS]] as const) {
    const t = `${tag}${suffix}`;
    const user = await repo.createUser(`U${t}`.padEnd(22, 'x'), `u${t}`, 1);
    const video = async (n: number) =>
      (await repo.createVideo({ id: `V${t}${n}`, userId: user.id, recordingId: `${t}-${n}`, shareId: `S${t}${n}`, title: null, mimeType: 'video/webm', now: 1 }, limits ? 50 : null)).video.id;
    const sha = 'a'.repeat(64);
    const assembled: number[] = [];
    const outOfOrder: number[] = [];
    const c8: number[] = [];
    const v1 = await video(1);
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      await repo.recordSegment(v1, segment(i), i, i, { index: i, size: 625_000, sha256: sha, limits });
      assembled.push(performance.now() - t0);
    }
    const v2 = await video(2);
    for (let i = N - 1; i >= 0; i--) {
      const t0 = performance.now();
      await repo.insertChunk(v2, { index: i, size: 625_000, sha256: sha }, i, limits);
      outOfOrder.push(performance.now() - t0);
    }
    const vs = await Promise.all(Array.from({ length: 8 }, (_, k) => video(10 + k)));
    await Promise.all(
      vs.map(async (v) => {
        for (let i = 0; i < N / 8; i++) {
          const t0 = performance.now();
          await repo.recordSegment(v, segment(i), i, i, { index: i, size: 625_000, sha256: sha, limits });
          c8.push(performance.now() - t0);
        }
      }),
    );
    Object.assign(out, { [`assembled${suffix}`]: assembled, [`outOfOrder${suffix}`]: outOfOrder, [`c8${suffix}`]: c8 });
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'outbox-bench-meta-'));
const cluster = await startPgCluster({ durable: true });
try {
  const sqlite = new SqliteMetadataRepo(join(dir, 'db.sqlite'));
  const pgRepo = await PgMetadataRepo.open({ connectionString: await cluster.freshDatabase() });
  const s = await measure(sqlite, 's');
  const p = await measure(pgRepo, 'p');
  await Promise.all([sqlite.close(), pgRepo.close()]);
  console.log(`| write (${N} chunks) | SQLite p50 / p95 ms | PostgreSQL p50 / p95 ms | PG/SQLite p50 |`);
  console.log('|---|---|---|---|');
  for (const k of Object.keys(s)) {
    const [a, b] = [s[k]!, p[k]!];
    console.log(`| ${k} | ${pct(a, 0.5).toFixed(3)} / ${pct(a, 0.95).toFixed(3)} | ${pct(b, 0.5).toFixed(3)} / ${pct(b, 0.95).toFixed(3)} | ${(pct(b, 0.5) / pct(a, 0.5)).toFixed(1)}× |`);
  }
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
