/**
 * Ingest throughput: C concurrent recordings, each uploading its 625 KiB chunks one after the
 * other (as a recorder does), against ours, tus and raw. Rounds interleave the targets in a
 * rotating order so disk write-back and CPU noise fall on all three alike.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeChunkPool, type Chunk } from './lib/chunks.ts';
import { MB, median, percentile, round } from './lib/stats.ts';
import { readCpuMs, readMachineTicks } from './lib/child.ts';
import { startTarget, type Target, type TargetName } from './lib/targets.ts';

export interface IngestRow {
  target: TargetName;
  concurrency: number;
  mbps: number;
  reqps: number;
  p50ms: number;
  p95ms: number;
  chunks: number;
  /**
   * The server process's CPU time (all threads, user + system) per chunk: steadier than MB/s on
   * a shared machine, and what bounds throughput when the cores are busy.
   */
  cpuMsPerChunk: number;
  /** Share of the whole machine's CPU busy during the runs (server, client, kernel, others). */
  machineBusy: number;
}

export interface IngestOptions {
  workDir: string;
  concurrencies: number[];
  /** Chunks per run at each concurrency (split evenly over the C recordings). */
  chunksPerRun: (c: number) => number;
  rounds: number;
  /** Chunks per recording of the unmeasured warm-up run at C=8 (default 20, i.e. 160 chunks). */
  warmupChunksPerRecording?: number;
  targets?: TargetName[];
  log?: (line: string) => void;
}

interface RunResult {
  seconds: number;
  latencies: number[];
  chunks: number;
  /** Server CPU ms over the run. */
  cpuMs: number;
  /** Machine busy share over the run, 0–1. */
  machineBusy: number;
}

/** One run: C workers, each uploading one recording of `perRecording` chunks sequentially. */
export async function ingestRun(target: Target, pool: Chunk[], concurrency: number, perRecording: number): Promise<RunResult> {
  const latencies: number[] = [];
  const cpu0 = readCpuMs(target.pid);
  const machine0 = readMachineTicks();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const rec = await target.newRecording();
      for (let i = 0; i < perRecording; i++) {
        const t0 = performance.now();
        await rec.put(i, pool[(i + w) % pool.length]!, i === perRecording - 1);
        latencies.push(performance.now() - t0);
      }
      await rec.finish(perRecording);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const machine1 = readMachineTicks();
  const machineBusy = (machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total);
  return { seconds, latencies, chunks: concurrency * perRecording, cpuMs: readCpuMs(target.pid) - cpu0, machineBusy };
}

export async function benchIngest(opts: IngestOptions): Promise<IngestRow[]> {
  const names = opts.targets ?? ['ours', 'tus', 'raw'];
  const pool = makeChunkPool(16);
  const chunkBytes = pool[0]!.bytes.length;
  const targets: Target[] = [];
  try {
    for (const n of names) targets.push(await startTarget(n, opts.workDir));
    // Warm-up (JIT, connection pools, first files) — not measured. Long enough for V8 to have
    // optimised the hot paths of every target: with 8 chunks, the first measured rounds of
    // our server (more JavaScript per chunk than the others) ran ~30 % slower than later ones.
    for (const t of targets) await ingestRun(t, pool, 8, opts.warmupChunksPerRecording ?? 20);

    const samples = new Map<string, { rates: number[]; reqRates: number[]; latencies: number[]; chunks: number; cpuMs: number; busy: number[] }>();
    for (let r = 0; r < opts.rounds; r++) {
      for (const c of opts.concurrencies) {
        const perRecording = Math.max(2, Math.round(opts.chunksPerRun(c) / c));
        for (let k = 0; k < targets.length; k++) {
          const t = targets[(k + r) % targets.length]!;
          const res = await ingestRun(t, pool, c, perRecording);
          const key = `${t.name}/${c}`;
          const s = samples.get(key) ?? { rates: [], reqRates: [], latencies: [], chunks: 0, cpuMs: 0, busy: [] };
          s.cpuMs += res.cpuMs;
          s.busy.push(res.machineBusy);
          s.rates.push((res.chunks * chunkBytes) / MB / res.seconds);
          s.reqRates.push(res.chunks / res.seconds);
          s.latencies.push(...res.latencies);
          s.chunks += res.chunks;
          samples.set(key, s);
          opts.log?.(`ingest round ${r + 1} c=${c} ${t.name}: ${round((res.chunks * chunkBytes) / MB / res.seconds)} MB/s`);
          // Keep the disk from filling on long runs: baselines' files are not needed afterwards.
          if (t.name !== 'ours') {
            rmSync(join(opts.workDir, t.name), { recursive: true, force: true, maxRetries: 2 });
            mkdirSync(join(opts.workDir, t.name), { recursive: true });
          }
        }
      }
    }
    const rows: IngestRow[] = [];
    for (const c of opts.concurrencies) {
      for (const t of targets) {
        const s = samples.get(`${t.name}/${c}`)!;
        rows.push({
          target: t.name,
          concurrency: c,
          mbps: round(median(s.rates)),
          reqps: round(median(s.reqRates)),
          p50ms: round(percentile(s.latencies, 50)),
          p95ms: round(percentile(s.latencies, 95)),
          chunks: s.chunks,
          cpuMsPerChunk: round(s.cpuMs / s.chunks, 2),
          machineBusy: round(median(s.busy), 2),
        });
      }
    }
    return rows;
  } finally {
    for (const t of targets) await t.stop();
  }
}
