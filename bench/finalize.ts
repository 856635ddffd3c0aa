/**
 * Stop-to-link latency: for recordings of 30, 300 and 1800 chunks (1, 10 and 60 minutes of 2 s
 * chunks), the time from the last chunk's 2xx to finalize's `complete` answer with the URL.
 * Chunks go up 2 at a time in index order, as the upload pipeline sends them. The content is
 * real WebM (lib/webm-stream.ts: a live-shaped ffmpeg stream, 2 s per chunk, cut at arbitrary
 * bytes). Finalize writes the tail and publishes the output; the seekable head (Cues, Duration,
 * SeekHead), the media layout and the digests of the bytes are computed after completion, off
 * the stop-to-link path, so finalize's answer has `seekable: false` and `sha256: null` by design
 * (docs/API.md) — what it must have is `status: complete` and the `chunksDigest`, checked here
 * against the chunks sent. Incremental assembly means finalize only writes the tail, so the
 * figure should not grow with the recording's length.
 *
 * Quiet server: each completion starts the after-completion job (it reads the whole output back
 * and hashes it, in the same node). The next sample's last chunk is sent only once the previous
 * video's `sha256` is recorded, so no sample is timed while an earlier one's job still runs.
 * With the server logging at info (bench/s3.ts), each row also gives the median of finalize's
 * per-step durations (the `finalize/complete` event's `ms`, src/server/ingest/step-times.ts).
 *
 * Also reports the server CPU that indexing adds per chunk: the ClusterIndexer fed the 1800-chunk
 * recording in-process, against SHA-256 of the same bytes (which the server does for every chunk
 * anyway) as the same-run baseline.
 */
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { FinalizeResponse } from '../src/shared/api.ts';
import { chunksDigestHex } from '../src/shared/chunks-digest.ts';
import { ClusterIndexer } from '../src/server/webm/cluster-indexer.ts';
import { makeChunk, makeChunkPool, type Chunk } from './lib/chunks.ts';
import { percentile, round } from './lib/stats.ts';
import { startOurs, type Target } from './lib/targets.ts';
import { cutExactly, longStream } from './lib/webm-stream.ts';

export interface FinalizeRow {
  chunks: number;
  chunkBytes: number;
  samples: number;
  p50ms: number;
  p95ms: number;
  /** Same run, same chunk sizes, random bytes (served as recorded, no rewrite): p50. */
  baselineP50ms: number;
  /** Whether every answer was `complete` with the chunks digest of the chunks sent. */
  complete: boolean;
  /** Median per step of the WebM samples' `finalize/complete` log events (ms; counts as logged); null when the server logs above info. */
  steps: Record<string, number> | null;
}

/** The `ms` of the `finalize/complete` event logged for `videoId`, if the log has it. */
export function finalizeSteps(log: string, videoId: string): Record<string, number> | null {
  for (const line of log.split('\n')) {
    if (!line.includes('"finalize/complete"') || !line.includes(videoId)) continue;
    const event = JSON.parse(line) as { event?: string; videoId?: string; ms?: Record<string, number> };
    if (event.event === 'finalize/complete' && event.videoId === videoId && event.ms) return event.ms;
  }
  return null;
}

/** Median of each field over the samples that have it. */
function medianSteps(samples: Record<string, number>[]): Record<string, number> | null {
  if (samples.length === 0) return null;
  const keys = [...new Set(samples.flatMap((s) => Object.keys(s)))];
  return Object.fromEntries(keys.map((k) => [k, round(percentile(samples.flatMap((s) => (k in s ? [s[k]!] : [])), 50), 1)]));
}

export interface IndexCost {
  chunks: number;
  /** CPU µs per chunk spent indexing (median of rounds). */
  indexUsPerChunk: number;
  /** The same chunks' SHA-256, µs per chunk: the baseline. */
  sha256UsPerChunk: number;
  ratio: number;
}

/** In-process: the indexer and SHA-256 over the same chunks, alternating, median of rounds. */
export function measureIndexCost(chunks: Chunk[], rounds = 5): IndexCost {
  const index: number[] = [];
  const hash: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = process.cpuUsage();
    const indexer = new ClusterIndexer();
    for (const c of chunks) indexer.feed(c.bytes);
    if (!indexer.finish().ok) throw new Error('bench stream did not index');
    let d = process.cpuUsage(t);
    index.push((d.user + d.system) / chunks.length);
    t = process.cpuUsage();
    for (const c of chunks) createHash('sha256').update(c.bytes).digest();
    d = process.cpuUsage(t);
    hash.push((d.user + d.system) / chunks.length);
  }
  const i = percentile(index, 50);
  const h = percentile(hash, 50);
  return { chunks: chunks.length, indexUsPerChunk: round(i, 1), sha256UsPerChunk: round(h, 1), ratio: round(i / h, 3) };
}

export interface FinalizeOptions {
  workDir: string;
  lengths: number[];
  /** Ignored for WebM content (2 s of the stream per chunk); kept for the synthetic run. */
  chunkBytes: number;
  /** Recordings measured per length. */
  samples: (length: number) => number;
  parallel?: number;
  log?: (line: string) => void;
  /** The server to measure; default ours on disk + SQLite (bench/s3.ts passes ours on S3 + PostgreSQL). */
  start?: () => Promise<Target>;
  /** Skips the in-process indexing measurement (already taken by the disk run). */
  skipIndexing?: boolean;
}

/**
 * Stop-to-link of our server on S3 + PostgreSQL with a given object store (bench/s3.ts on
 * s3rver, bench/swift.ts on Swift too): the same WebM lengths, 8 uploads at once, the node
 * logging at info so each row has finalize's per-step medians; `env` is the node's storage.
 */
export function benchFinalizeOnStore(o: {
  label: string;
  workDir: string;
  lengths: number[];
  samples: FinalizeOptions['samples'];
  log?: (line: string) => void;
  env: () => Promise<Record<string, string>> | Record<string, string>;
}): ReturnType<typeof benchFinalize> {
  return benchFinalize({
    workDir: o.workDir,
    lengths: o.lengths,
    chunkBytes: 4096,
    samples: o.samples,
    parallel: 8,
    log: o.log && ((line) => o.log!(`${o.label} ${line}`)),
    start: async () => startOurs(join(o.workDir, `${o.label}-finalize`), { name: 'ours-s3', env: { ...(await o.env()), LOG_LEVEL: 'info' } }),
    skipIndexing: true,
  });
}

export async function benchFinalize(opts: FinalizeOptions): Promise<{ rows: FinalizeRow[]; indexing: IndexCost | null }> {
  const streams = new Map<number, Chunk[]>();
  for (const length of opts.lengths) streams.set(length, cutExactly(await longStream(length * 2), length));
  const randoms = new Map([...streams].map(([n, cs]) => [n, cs.map((c) => makeChunk(c.bytes.length))]));
  const indexing = opts.skipIndexing ? null : measureIndexCost(streams.get(Math.max(...opts.lengths))!);
  if (indexing) opts.log?.(`indexing: ${indexing.indexUsPerChunk} µs CPU per 2 s chunk vs SHA-256 ${indexing.sha256UsPerChunk} µs (×${indexing.ratio})`);
  const target = await (opts.start ? opts.start() : startOurs(join(opts.workDir, 'ours-finalize')));
  const pool = makeChunkPool(16, opts.chunkBytes);
  const parallel = opts.parallel ?? 2;
  try {
    // Warm-up: one short recording.
    const warm = await target.newRecording();
    for (let i = 0; i < 4; i++) await warm.put(i, pool[i]!, i === 3);
    await warm.finish(4);
    await warm.afterCompletion?.();

    // Upload every sample recording except its last chunk, all at once (this part is not
    // measured); then, one recording at a time on a quiet server, send the last chunk and time
    // from its 2xx to finalize's answer.
    // Each sample recording is uploaded twice: as the real WebM (rewritten seekable at finalize)
    // and as random bytes of the same chunk sizes (not WebM: served as recorded, no rewrite) —
    // the same-run baseline. Measured alternately, so the machine's load hits both alike.
    const recordings = await Promise.all(
      opts.lengths.flatMap((length) =>
        Array.from({ length: opts.samples(length) * 2 }, async (_, k) => {
          const rec = await target.newRecording();
          const chunks = k % 2 === 0 ? streams.get(length)! : randoms.get(length)!;
          let next = 0;
          await Promise.all(
            Array.from({ length: parallel }, async () => {
              while (next < length - 1) {
                const i = next++;
                await rec.put(i, chunks[i]!, false);
              }
            }),
          );
          return { length, rec, chunks, webm: k % 2 === 0 };
        }),
      ),
    );
    const rows: FinalizeRow[] = [];
    for (const length of opts.lengths) {
      const times: number[] = [];
      const baseline: number[] = [];
      const steps: Record<string, number>[] = [];
      let complete = true;
      for (const { rec, chunks, webm } of recordings.filter((r) => r.length === length)) {
        await rec.put(length - 1, chunks[length - 1]!, true);
        const lastConfirmed = performance.now();
        const answer = (await rec.finish(length)) as FinalizeResponse;
        (webm ? times : baseline).push(performance.now() - lastConfirmed);
        const digest = await chunksDigestHex(chunks.map((c) => createHash('sha256').update(c.bytes).digest('hex')));
        if (answer.status !== 'complete' || answer.chunksDigest !== digest) complete = false;
        // Quiet server for the next sample: this completion's job (a full read-back) is done.
        await rec.afterCompletion?.();
        const logged = webm && target.output ? finalizeSteps(target.output(), answer.videoId) : null;
        if (logged) steps.push(logged);
      }
      const chunks = streams.get(length)!;
      const chunkBytes = Math.round(chunks.reduce((n, c) => n + c.bytes.length, 0) / length);
      const row = {
        chunks: length, chunkBytes, samples: times.length, p50ms: round(percentile(times, 50), 2), p95ms: round(percentile(times, 95), 2),
        baselineP50ms: round(percentile(baseline, 50), 2), complete, steps: medianSteps(steps),
      };
      opts.log?.(`finalize ${length} chunks (WebM, complete with the chunks digest: ${complete}): p50 ${row.p50ms} ms, p95 ${row.p95ms} ms; not-WebM baseline p50 ${row.baselineP50ms} ms (n=${row.samples})`);
      if (row.steps) opts.log?.(`finalize ${length} chunks, median per step (server log): ${JSON.stringify(row.steps)}`);
      rows.push(row);
    }
    return { rows, indexing };
  } finally {
    await target.stop();
  }
}
