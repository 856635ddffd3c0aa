/**
 * Ours on S3 + PostgreSQL beside ours on disk + SQLite, same run, same client, same chunks:
 * - ingest throughput at C=2 and C=8 (625 KiB chunks uploaded in order, as a recorder does);
 * - what the object store had to do per ingested byte and per chunk: body bytes of PutObject and
 *   UploadPart requests, and requests of every kind, counted by an HTTP proxy in front of the
 *   S3 server (tests/support/s3-counter.ts), so the figure would read the same on AWS;
 * - stop-to-link on S3 for 30 / 300 / 1800 chunks (bench/finalize.ts with this target), on a
 *   quiet node (each sample waits for the previous one's after-completion job), with the median
 *   duration of each finalize step read from the node's log (it logs at info for this).
 *
 * Engines: a durable PostgreSQL 15 cluster (tests/support/pg-cluster.ts, fsync on) and s3rver
 * 3.7.1 with S3's CompleteMultipartUpload checks (tests/support/s3.ts), both on 127.0.0.1 in
 * this process's machine — the server's CPU figure excludes both.
 *
 * tus is not run here: @tus/s3-store calls ListParts on every PATCH, which s3rver lacks
 * (docs/SCALE-OUT.md). Its `.part` scheme is given as arithmetic instead (tusPartArithmetic).
 */
import { join } from 'node:path';
import { startPgCluster } from '../tests/support/pg-cluster.ts';
import { startS3Counter, type S3Op } from '../tests/support/s3-counter.ts';
import { S3_MIN_PART_BYTES, startS3 } from '../tests/support/s3.ts';
import { sharedStorageEnv } from '../tests/support/storage-env.ts';
import { benchFinalizeOnStore, type FinalizeRow } from './finalize.ts';
import { ingestRun } from './ingest.ts';
import { makeChunkPool } from './lib/chunks.ts';
import { MB, median, percentile, round } from './lib/stats.ts';
import { startOurs, type Target } from './lib/targets.ts';

export interface S3IngestRow {
  target: 'ours' | 'ours-s3';
  concurrency: number;
  mbps: number;
  p50ms: number;
  p95ms: number;
  chunks: number;
  /** The node process's CPU per chunk (PostgreSQL and the S3 server not included). */
  cpuMsPerChunk: number;
}

export interface S3Traffic {
  chunks: number;
  ingestedBytes: number;
  /** PutObject + UploadPart body bytes. */
  writtenBytes: number;
  writtenPerIngested: number;
  /** GetObject body bytes (chunk objects read back, the after-completion digest pass). */
  readPerIngested: number;
  requestsPerChunk: number;
  requests: Record<S3Op, number>;
}

/** What @tus/s3-store's `.part` scheme writes at a given chunk size (no run: see the header). */
export interface TusPartArithmetic {
  chunkBytes: number;
  minPartBytes: number;
  chunksPerPart: number;
  writtenPerIngested: number;
  extraWrittenPerIngested: number;
  readPerIngested: number;
}

export interface S3Result {
  ingest: S3IngestRow[];
  traffic: S3Traffic;
  tus: TusPartArithmetic;
  finalize: FinalizeRow[];
}

/**
 * @tus/s3-store keeps data that does not fill a 5 MiB part in an `.part` object: each PATCH
 * downloads it, appends the new bytes and uploads it again, until it reaches the minimum part
 * size and goes up as a real part. With n = ⌈5 MiB / chunk⌉ chunks per part, PATCH k < n writes
 * a `.part` of k chunks (and reads the k − 1 before it), PATCH n writes the n-chunk part:
 * written = (1 + … + (n − 1) + n) chunks, read = (1 + … + (n − 1)) chunks, per n chunks ingested.
 */
export function tusPartArithmetic(chunkBytes: number, minPartBytes = S3_MIN_PART_BYTES): TusPartArithmetic {
  const n = Math.ceil(minPartBytes / chunkBytes);
  const partial = (n * (n - 1)) / 2;
  return {
    chunkBytes,
    minPartBytes,
    chunksPerPart: n,
    writtenPerIngested: round((partial + n) / n, 2),
    extraWrittenPerIngested: round(partial / n, 2),
    readPerIngested: round(partial / n, 2),
  };
}

export interface S3BenchOptions {
  workDir: string;
  concurrencies: number[];
  chunksPerRun: (c: number) => number;
  rounds: number;
  lengths: number[];
  samples: (length: number) => number;
  log?: (line: string) => void;
}

export async function benchS3(opts: S3BenchOptions): Promise<S3Result> {
  const cluster = await startPgCluster({ durable: true });
  const s3 = await startS3('outbox-bench');
  const counter = await startS3Counter(s3.settings.endpoint!);
  const s3Env = async () => sharedStorageEnv(await cluster.freshDatabase(), s3, counter.endpoint);
  const targets: Target[] = [];
  try {
    targets.push(await startOurs(join(opts.workDir, 's3-vs-disk'), { name: 'ours' }));
    targets.push(await startOurs(join(opts.workDir, 's3-node'), { name: 'ours-s3', env: await s3Env() }));
    const pool = makeChunkPool(16);
    const chunkBytes = pool[0]!.bytes.length;
    for (const t of targets) await ingestRun(t, pool, 8, 10); // warm-up, not measured
    counter.reset();
    let s3Chunks = 0;
    const samples = new Map<string, { rates: number[]; latencies: number[]; chunks: number; cpuMs: number }>();
    for (let r = 0; r < opts.rounds; r++) {
      for (const c of opts.concurrencies) {
        const perRecording = Math.max(2, Math.round(opts.chunksPerRun(c) / c));
        for (let k = 0; k < targets.length; k++) {
          const t = targets[(k + r) % targets.length]!;
          const res = await ingestRun(t, pool, c, perRecording);
          if (t.name === 'ours-s3') s3Chunks += res.chunks;
          const key = `${t.name}/${c}`;
          const s = samples.get(key) ?? { rates: [], latencies: [], chunks: 0, cpuMs: 0 };
          s.rates.push((res.chunks * chunkBytes) / MB / res.seconds);
          s.latencies.push(...res.latencies);
          s.chunks += res.chunks;
          s.cpuMs += res.cpuMs;
          samples.set(key, s);
          opts.log?.(`s3 ingest round ${r + 1} c=${c} ${t.name}: ${round((res.chunks * chunkBytes) / MB / res.seconds)} MB/s`);
        }
      }
    }
    const counts = counter.counts();
    if (counts.bytesWritten === 0) throw new Error('the ours-s3 node wrote nothing to the object store: does the server select S3 from OUTBOX_S3_BUCKET?');
    const ingestedBytes = s3Chunks * chunkBytes;
    const requests = { ...counts.requests };
    const traffic: S3Traffic = {
      chunks: s3Chunks,
      ingestedBytes,
      writtenBytes: counts.bytesWritten,
      writtenPerIngested: round(counts.bytesWritten / ingestedBytes, 3),
      readPerIngested: round(counts.bytesRead / ingestedBytes, 3),
      requestsPerChunk: round(Object.values(requests).reduce((a, b) => a + b, 0) / s3Chunks, 2),
      requests,
    };
    opts.log?.(`s3 traffic: ${JSON.stringify(traffic)}`);
    const ingest: S3IngestRow[] = [];
    for (const c of opts.concurrencies) {
      for (const t of targets) {
        const s = samples.get(`${t.name}/${c}`)!;
        ingest.push({
          target: t.name as S3IngestRow['target'],
          concurrency: c,
          mbps: round(median(s.rates)),
          p50ms: round(percentile(s.latencies, 50)),
          p95ms: round(percentile(s.latencies, 95)),
          chunks: s.chunks,
          cpuMsPerChunk: round(s.cpuMs / s.chunks, 2),
        });
      }
    }
    for (const t of targets.splice(0)) await t.stop();

    const fin = await benchFinalizeOnStore({ label: 's3', workDir: opts.workDir, lengths: opts.lengths, samples: opts.samples, log: opts.log, env: s3Env });
    return { ingest, traffic, tus: tusPartArithmetic(chunkBytes), finalize: fin.rows };
  } finally {
    for (const t of targets) await t.stop();
    await counter.stop();
    await s3.stop();
    await cluster.stop();
  }
}
